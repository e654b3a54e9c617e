/**
 * The summary of a multi-day run: one line per day (block).
 *
 * @module
 */
import type { RunReport } from "../consensus/report.ts";
import { problemKind } from "../problems/registry.ts";
import { formatAmount } from "../problems/types.ts";
import { renderTable } from "./table.ts";

const ms = (v: number | undefined) => v === undefined ? "—" : v.toFixed(0);

/**
 * One row per day: block height, load factor, round and leader of the
 * accepted block, its cost (in the run's cost unit; a report without one is
 * the dispatch's), the ledger blocks written and their size, and where the
 * day's time went (ms).
 *
 * @example
 * ```ts
 * console.log(renderDays([]).split("\n")[0]); // "Days"
 * ```
 */
export function renderDays(reports: RunReport[]): string {
  const unit = reports.find((r) => r.costUnit)?.costUnit ?? problemKind().cost;
  const rows = reports.map((r) => {
    const t = r.timings;
    return [
      String(r.day?.height ?? "—"),
      r.day ? r.day.loadFactor.toFixed(4) : "—",
      r.outcome ? `${r.outcome.round}` : "—",
      r.outcome?.leader ?? "—",
      r.outcome ? formatAmount(unit, r.outcome.costUsd, 0) : "no block",
      r.day ? `${r.day.blocksWritten}` : "—",
      r.day ? `${r.day.blockBytes}` : "—",
      ms(t?.total),
      ms(t?.solving),
      ms(t?.checking),
      ms(t?.signing),
      ms(t?.ledger),
      ms(t?.waiting),
    ];
  });
  return [
    "Days",
    renderTable(
      [
        "day",
        "load ×",
        "round",
        "leader",
        unit.per ? `${unit.quantity}/${unit.per}` : unit.quantity,
        "ledgers",
        "bytes/block",
        "total ms",
        "solve",
        "check",
        "sign",
        "ledger",
        "wait",
      ],
      rows,
    ),
  ].join("\n");
}
