/**
 * The trace of a run as a terminal table, laid out like Table 3 of the
 * article: one row per delegate and one column per round for the delegate
 * phase, then the normal-node phase and the outcome.
 *
 * @module
 */
import type { RoundReport, RunReport } from "../consensus/report.ts";
import { problemKind } from "../problems/registry.ts";
import { type CostUnit, formatAmount, perPeriod } from "../problems/types.ts";
import { describeMisbehaviour, type Scenario } from "./loader.ts";

/** Options of {@link renderTrace}. */
export interface RenderOptions {
  /** Widest a table cell grows before its cells wrap onto more lines, characters. Default 28. */
  cellWidth?: number;
}

/** Default wrap width of a table cell, characters: three or four `<$744>DE` cells on a line. */
const DEFAULT_CELL_WIDTH = 28;
/** Marks a received cell that failed the certificate check. */
const REJECTED_MARK = "✗";
/** Shown where there is nothing to show. */
const NOTHING = "—";

/**
 * Renders a run's trace as text for a terminal: a header (scenario, runtime,
 * seed, behaviours of every dishonest participant, notices), the delegate
 * phase as a table (a row per delegate, a column per round; each cell lists
 * the proposals received, `✗` marking those that failed the check, then the
 * decision), the normal-node phase (decisions received, solution accepted),
 * the outcome, dropped messages, notes and, when present, the timings.
 * Amounts are written in the report's cost unit (`costUnit`; without one, the
 * scenario's problem kind's, else the dispatch's $ per day). Never throws,
 * whatever part of the report is empty.
 *
 * @example
 * ```ts
 * import { renderTrace } from "./render.ts";
 * import { loadScenarioFile } from "./loader.ts";
 * const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
 * const report = {
 *   scenario: scenario.name, runtime: "simulator" as const, seed: 1, notices: [],
 *   rounds: [{
 *     round: 1, leader: "C", received: { F: ["<$904>C"] }, decision: { F: "blacklist" as const },
 *     rejected: { F: ["<$904>C suboptimal"] }, blacklist: { F: ["C"] }, dropped: [], notes: [],
 *   }],
 *   normal: { received: {}, accepted: {} }, outcome: null,
 * };
 * console.log(renderTrace(report, scenario));
 * ```
 */
export function renderTrace(report: RunReport, scenario?: Scenario, options: RenderOptions = {}): string {
  const width = Math.max(8, options.cellWidth ?? DEFAULT_CELL_WIDTH);
  const rounds = report.rounds ?? [];
  const unit = reportUnit(report, scenario);
  const out: string[] = [];

  out.push(...header(report, scenario));

  // Delegate phase.
  out.push("", "Delegate phase");
  const delegates = delegateNames(report, scenario);
  if (rounds.length === 0 || delegates.length === 0) {
    out.push("  no rounds ran");
  } else {
    const head = [
      "Delegate",
      ...rounds.map((r) => (r.leader ? `R${r.round} (leader ${r.leader})` : `R${r.round}`)),
    ];
    const rows = delegates.map((d) => [[d], ...rounds.map((r) => delegateCell(r, d, width))]);
    out.push(...grid(head, rows).map((l) => `  ${l}`));
    if (rounds.some((r) => Object.values(r.rejected ?? {}).some((c) => c.length > 0))) {
      out.push(`  ${REJECTED_MARK} failed the certificate check (not relayed, not committed):`);
      for (const r of rounds) {
        for (const d of delegates) {
          for (const why of r.rejected?.[d] ?? []) out.push(`    R${r.round} ${d}: ${why}`);
        }
      }
    }
  }

  // Normal-node phase.
  out.push("", "Normal-node phase");
  const normals = normalNames(report, scenario);
  if (normals.length === 0) {
    out.push("  no normal node took part");
  } else {
    const received = report.normal?.received ?? {};
    const accepted = report.normal?.accepted ?? {};
    const rows = normals.map((n) => {
      const cells = received[n] ?? [];
      const a = accepted[n];
      return [[n], cells.length > 0 ? wrap(cells, width) : [NOTHING], [
        typeof a === "number" ? formatAmount(unit, a, 0) : NOTHING,
      ]];
    });
    out.push(...grid(["Normal node", "Decisions received", "Accepted"], rows).map((l) => `  ${l}`));
  }

  // Outcome.
  out.push("");
  const o = report.outcome;
  if (o) {
    const total = normals.length;
    const agreeing = normals.filter((n) => report.normal?.accepted?.[n] === o.costUsd).length;
    out.push(
      `Outcome: round ${o.round}, leader ${o.leader}, ${formatAmount(unit, o.costUsd, 0)}${
        perPeriod(unit)
      }, ` +
        `accepted by ${agreeing} of ${total} normal node${total === 1 ? "" : "s"}`,
    );
    // The problem kind's own lines (a market's clearing prices).
    for (const line of report.dispatch?.outcomeLines ?? []) out.push(`  ${line}`);
  } else {
    out.push(`Outcome: no block (no ${unit.solution} was accepted by a normal node)`);
  }

  // Dropped messages and notes, by round.
  const dropped = rounds.flatMap((r) => (r.dropped ?? []).map((d) => `R${r.round} to ${d.to}: ${d.reason}`));
  if (dropped.length > 0) out.push("", "Dropped messages", ...dropped.map((l) => `  ${l}`));
  const notes = rounds.flatMap((r) => (r.notes ?? []).map((n) => `R${r.round}: ${n}`));
  if (notes.length > 0) out.push("", "Notes", ...notes.map((l) => `  ${l}`));
  // Who sent copies whose signatures failed: the signer that failed and who is to blame.
  const blamed = new Map<string, number>();
  for (const r of rounds) {
    for (const f of r.signatureFailures ?? []) {
      const key = f.blame
        ? `${f.blame} changed or forged copies of ${f.signer}'s messages`
        : `unauthenticated copies in ${f.signer}'s name`;
      blamed.set(key, (blamed.get(key) ?? 0) + 1);
    }
  }
  if (blamed.size > 0) {
    out.push("", "Signature failures", ...[...blamed].map(([k, n]) => `  ${k} (${n} dropped)`));
  }
  if (report.evidence?.length) {
    out.push(
      "",
      "Equivocation evidence (in the ledger)",
      ...report.evidence.map((e) =>
        `  ${
          scenario?.participants.find((p) => p.id === e.leader)?.name ?? `node ${e.leader}`
        } signed two proposals for block ${e.height}, round ${e.round}`
      ),
    );
  }

  const t = report.timings;
  if (t) {
    // Whole ms, with a decimal under 10 ms so that sub-millisecond checking does not read "0 ms".
    const ms = (v: number) => `${!Number.isFinite(v) ? "?" : v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
    out.push(
      "",
      `Time: start-up ${ms(t.startup)}, solving ${ms(t.solving)}, checking ${ms(t.checking)}, ` +
        (t.signing === undefined ? "" : `signing ${ms(t.signing)}, `) +
        (t.ledger === undefined ? "" : `ledger ${ms(t.ledger)}, `) +
        (t.building === undefined ? "" : `building problems ${ms(t.building)}, `) +
        `waiting ${ms(t.waiting)}, other ${ms(t.other)}, total ${ms(t.total)}` +
        (t.skipped ? ` (idle round time not waited out: ${ms(t.skipped)})` : ""),
    );
  }
  return out.join("\n");
}

/**
 * What a report's amounts are measured in: its own `costUnit`, else (a report of an older version)
 * the scenario's problem kind's, else the default kind's (the dispatch's $ per day).
 */
export function reportUnit(report: RunReport, scenario?: Scenario): CostUnit {
  if (report.costUnit) return report.costUnit;
  try {
    return problemKind(scenario?.problem).cost;
  } catch {
    return problemKind().cost; // a scenario naming a kind this build lacks: never throw
  }
}

function header(report: RunReport, scenario?: Scenario): string[] {
  const name = report.scenario || scenario?.name || "(unnamed scenario)";
  const lines = [`${name}${scenario?.file ? ` (${scenario.file})` : ""}`];
  lines.push(`${report.runtime ?? "unknown"} runtime, seed ${report.seed ?? "?"}`);
  if (scenario?.description) lines.push(scenario.description);
  if (scenario) {
    const behaviours = scenario.participants.flatMap((p) =>
      describeMisbehaviour(p.misbehaviour, scenario.participants, p.id, report.costUnit?.solution)
    );
    if (behaviours.length === 0) lines.push("Behaviours: every participant is honest");
    else lines.push("Behaviours:", ...behaviours.map((b) => `  ${b}`));
  }
  const notices = [...new Set([...(report.notices ?? []), ...(scenario?.notices ?? [])])];
  if (notices.length > 0) lines.push("Notices:", ...notices.map((n) => `  ${n}`));
  return lines;
}

/** Delegates in scenario order (by id), then any others the report mentions, in order of appearance. */
function delegateNames(report: RunReport, scenario?: Scenario): string[] {
  const names = scenario?.participants.filter((p) => p.delegate).map((p) => p.name) ?? [];
  for (const r of report.rounds ?? []) {
    for (const rec of [r.received, r.decision, r.rejected]) names.push(...Object.keys(rec ?? {}));
  }
  return [...new Set(names)];
}

function normalNames(report: RunReport, scenario?: Scenario): string[] {
  const names = scenario?.participants.filter((p) => p.normal).map((p) => p.name) ?? [];
  names.push(...Object.keys(report.normal?.received ?? {}), ...Object.keys(report.normal?.accepted ?? {}));
  return [...new Set(names)];
}

/** The cell of delegate `d` in round `r`: the proposals it received (rejected ones marked), then its decision. */
function delegateCell(r: RoundReport, d: string, width: number): string[] {
  const received = [...(r.received?.[d] ?? [])];
  const marked = received.map(() => false);
  for (const entry of r.rejected?.[d] ?? []) {
    const cell = entry.split(" ")[0];
    const k = received.findIndex((c, i) => !marked[i] && c === cell);
    if (k >= 0) marked[k] = true;
    else {
      received.push(cell);
      marked.push(true);
    }
  }
  const cells = received.map((c, i) => (marked[i] ? `${c}${REJECTED_MARK}` : c));
  const lines = cells.length > 0 ? wrap(cells, width) : [];
  const decision = r.decision?.[d];
  if (decision === "commit") lines.push("→ commit");
  else if (decision === "blacklist") lines.push(`→ blacklist ${r.leader || "the leader"}`);
  else if (decision === "none") lines.push(NOTHING);
  if (lines.length === 0) lines.push(NOTHING);
  return lines;
}

/** Joins words with spaces into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A table whose cells may span several lines: columns as wide as their widest
 * line, separated by ` │ `, a rule under the header and, when some row spans
 * several lines, a light rule between rows.
 */
function grid(head: string[], rows: string[][][]): string[] {
  const cols = head.length;
  const widths = head.map((h, k) =>
    Math.max(h.length, ...rows.map((r) => Math.max(0, ...(r[k] ?? []).map(len))))
  );
  const line = (cells: string[]) => cells.map((c, k) => pad(c, widths[k])).join(" │ ").trimEnd();
  const rule = (ch: string, cross: string) => widths.map((w) => ch.repeat(w)).join(`${ch}${cross}${ch}`);
  const tall = rows.some((r) => r.some((c) => c.length > 1));
  const out = [line(head), rule("─", "┼")];
  rows.forEach((r, i) => {
    if (tall && i > 0) out.push(rule("╌", "┼"));
    const height = Math.max(1, ...r.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(Array.from({ length: cols }, (_, j) => r[j]?.[k] ?? "")));
  });
  return out;
}

/** Display width of a line: its code points (every character used here is one column wide). */
function len(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number): string {
  return s + " ".repeat(Math.max(0, w - len(s)));
}
