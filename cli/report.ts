/**
 * A run's report as one self-contained HTML page: the header (scenario,
 * runtime, seed, outcome), the certified dispatch (cost, gap, verdict), its
 * hourly charts (electricity and heat supply by source against the load,
 * battery and heat-tank energy) and the message flow of every round laid out
 * like Table 3 of the article (passed the check, failed it, or taken unchecked
 * by a colluder), then the normal-node phase. A page of several days adds
 * charts across the days (cost, gap, deciding round) and a day picker.
 *
 * Nothing is fetched when the page is viewed: the CSS is inline, the charts
 * are ECharts' SVG rendered here (cli/charts.ts; they need no script), and a
 * Content-Security-Policy forbids any network resource. The one inline script
 * (allowed by its hash) exports a chart as PNG or its data as CSV, switches
 * the day shown, and records for tests how many charts were drawn
 * (`data-charts` on the body), whether chart texts overlap (`data-overlaps`),
 * the smallest chart font as rendered (`data-min-font`, px) and any script
 * error (`data-errors`). Every string taken from the report is HTML-escaped.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { RoundReport, RunReport } from "../consensus/report.ts";
import type {
  BalanceSeries,
  DispatchSeries,
  PowerSeries,
  StorageSeries,
} from "../problems/ies-dispatch/series.ts";
import { isDispatchSeries } from "../problems/ies-dispatch/series.ts";
import { cellAmount, type CostUnit, formatAmount, perPeriod } from "../problems/types.ts";
import { describeMisbehaviour, type Scenario } from "../scenarios/loader.ts";
import { reportUnit } from "../scenarios/render.ts";
import {
  CHART_FONT_PX,
  type ChartData,
  chartDataScript,
  chartFigure,
  type ChartSeries,
  type ChartSpec,
  DASHES,
  EXPORT_SCRIPT,
  NEUTRAL,
  PALETTE,
  paletteEntry,
} from "./charts.ts";

/** Options of {@link renderReportHtml}. */
export interface ReportHtmlOptions {
  /**
   * The scenario the run came from: orders delegates and normal nodes as in the file and adds its
   * description and every participant's behaviours to the header.
   */
  scenario?: Scenario;
  /** Page title; default `PoSo run report: <scenario name>`. */
  title?: string;
  /** A line saying when or by what the report was made, shown verbatim in the footer (default none). */
  generatedBy?: string;
}

// ---------------------------------------------------------------------------
// Escaping and formatting

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A number with thousands separators, e.g. `12,345.6`. */
export function num(v: number, decimals = 0): string {
  if (!Number.isFinite(v)) return String(v);
  const [int, frac] = Math.abs(v).toFixed(decimals).split(".");
  const sign = v < 0 && Number(Math.abs(v).toFixed(decimals)) !== 0 ? "−" : "";
  return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac ? `.${frac}` : ""}`;
}

// ---------------------------------------------------------------------------
// Charts (ECharts, rendered to SVG on the server: cli/charts.ts)

/** Values (kW or kWh) whose magnitude is below this are treated as zero when deciding what to draw. */
const ZERO_KW = 1e-6;
/** Decimals of an optimality gap, in the cost unit (the checker's tolerance is 0.01 of it). */
const GAP_DECIMALS = 4;
/** Decimals of a power or energy value in a caption, kW or kWh. */
const TOOLTIP_DECIMALS = 1;
/** Stroke width of a load or demand line, px. */
const LOAD_LINE_PX = 2.5;
/** Stroke width of a storage limit line, px. */
const LIMIT_LINE_PX = 1.5;
/** Dash pattern of a demand line (load + charging), px on / px off. */
const DEMAND_DASH = [7, 4] as const;
/** Dash pattern of a limit (minimum, capacity) line, px on / px off. */
const LIMIT_DASH = [3, 3] as const;
/** The x axis of the hourly charts: the hour's index (hour t covers t:00 to t+1:00). */
const HOUR_AXIS = { name: "hour of the day", unit: "h" } as const;

/**
 * Colour of a hub's series (every chart gives hub h the same hue, so its CHP, boiler, battery and
 * tank read as one hub), and whether it needs a second look (past the palette's length: dashed line,
 * outlined bar).
 */
function hubColour(hub: number | null): { colour: string; pass: number } {
  return paletteEntry(Math.max(0, (hub ?? 1) - 1));
}

/** Σ of series, per hour. */
function sumOf(series: PowerSeries[], hours: number): number[] {
  return Array.from({ length: hours }, (_, t) => series.reduce((s, p) => s + (p.kw[t] ?? 0), 0));
}

const nonZero = (values: readonly number[]) => values.some((v) => Math.abs(v) > ZERO_KW);

/**
 * One stacked bar series per hub with output, in the hub's colour (hatched when `hatch`: a CHP, to
 * tell it from the same hub's boiler); the labels of the idle ones.
 */
function perHubBars(series: PowerSeries[], hatch: boolean): { bars: ChartSeries[]; idle: string[] } {
  const used = series.filter((s) => nonZero(s.kw));
  return {
    bars: used.map((s) => {
      const c = hubColour(s.hub);
      return {
        name: s.label,
        unit: "kW",
        kind: "bar",
        stack: "supply",
        values: s.kw,
        colour: c.colour,
        hatch: hatch || c.pass > 0,
      };
    }),
    idle: series.filter((s) => !nonZero(s.kw)).map((s) => s.label),
  };
}

/** One bar series for the sum of several hubs' storage flows (negative: below zero), when non-zero. */
function storageBars(series: PowerSeries[], name: string, hours: number, sign: 1 | -1): ChartSeries[] {
  const values = sumOf(series, hours).map((v) => sign * v);
  if (!nonZero(values)) return [];
  return [{
    name,
    unit: "kW",
    kind: "bar",
    stack: sign > 0 ? "supply" : "charging",
    values,
    colour: sign > 0 ? NEUTRAL.storage : NEUTRAL.storageCharge,
    hatch: true,
  }];
}

/** The load line and the load + losses + charging line of a balance. */
function loadLines(label: string, load: number[], demand: number[], demandLabel: string): ChartSeries[] {
  return [
    {
      name: label,
      unit: "kW",
      kind: "line",
      values: load,
      colour: NEUTRAL.load,
      width: LOAD_LINE_PX,
      step: true,
    },
    {
      name: demandLabel,
      unit: "kW",
      kind: "line",
      values: demand,
      colour: NEUTRAL.load,
      width: LOAD_LINE_PX,
      dash: DEMAND_DASH,
      step: true,
    },
  ];
}

function balanceCaption(b: BalanceSeries, idle: string[]): string {
  const worst = b.residualKw.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const tolerance = b.toleranceKw.reduce((m, v) => Math.min(m, v), Infinity);
  const parts = [
    `Supply = ${
      b.carrier === "heat" ? "heat load + pipe losses" : "load"
    } + storage charging in every hour ` +
    `(the model's balance rows summed over the network): largest imbalance ` +
    `${worst.toExponential(1)} kW, the checker's tolerance ${tolerance.toExponential(1)} kW.`,
  ];
  if (idle.length > 0) parts.push(`At zero all day, not drawn: ${idle.join(", ")}.`);
  return parts.join(" ");
}

/** The hours of a day as the x axis. */
const hoursAxis = (hours: number) => ({ ...HOUR_AXIS, values: Array.from({ length: hours }, (_, t) => t) });

function electricityChart(s: DispatchSeries, id: string, file: string): ChartSpec {
  const b = s.electricity;
  const grid = b.supply.filter((p) => p.key === "grid");
  const chp = perHubBars(b.supply.filter((p) => p.key.endsWith(".chp")), false);
  const discharge = b.supply.filter((p) => p.key.endsWith(".battery.discharge"));
  const charge = sumOf(b.charge, s.hours);
  const demand = b.loadKw.map((v, t) => v + b.lossKw[t] + charge[t]);
  const idle = [...grid.filter((g) => !nonZero(g.kw)).map((g) => g.label), ...chp.idle];
  return {
    id,
    file,
    title: "Electricity supply by source against the electric load",
    x: hoursAxis(s.hours),
    y: [{ name: "electric power", unit: "kW" }],
    series: [
      ...grid.filter((g) => nonZero(g.kw)).map((g): ChartSeries => ({
        name: g.label,
        unit: "kW",
        kind: "bar",
        stack: "supply",
        values: g.kw,
        colour: NEUTRAL.grid,
      })),
      ...chp.bars,
      ...storageBars(discharge, "Battery discharge, all hubs", s.hours, 1),
      ...storageBars(b.charge, "Battery charging, all hubs (below zero)", s.hours, -1),
      ...loadLines("Electric load", b.loadKw, demand, "Load + battery charging"),
    ],
    caption: balanceCaption(b, idle) + " Colours are hubs (the same hub has the same colour in every chart).",
  };
}

function heatChart(s: DispatchSeries, id: string, file: string): ChartSpec {
  const b = s.heat;
  const chp = perHubBars(b.supply.filter((p) => p.key.endsWith(".chp.heat")), true);
  const boiler = perHubBars(b.supply.filter((p) => p.key.endsWith(".boiler")), false);
  const discharge = b.supply.filter((p) => p.key.endsWith(".tank.discharge"));
  const charge = sumOf(b.charge, s.hours);
  const loss = b.lossKw.reduce((m, v) => Math.max(m, v), 0);
  return {
    id,
    file,
    title: "Heat supply by source against the heat load",
    x: hoursAxis(s.hours),
    y: [{ name: "heat power", unit: "kW" }],
    series: [
      ...chp.bars,
      ...boiler.bars,
      ...storageBars(discharge, "Heat tank discharge, all hubs", s.hours, 1),
      ...storageBars(b.charge, "Heat tank charging, all hubs (below zero)", s.hours, -1),
      ...loadLines(
        "Heat load",
        b.loadKw,
        b.loadKw.map((v, t) => v + b.lossKw[t] + charge[t]),
        `Heat load + pipe losses (${num(loss, TOOLTIP_DECIMALS)} kW) + tank charging`,
      ),
    ],
    caption: balanceCaption(b, [...chp.idle, ...boiler.idle]) +
      " Colours are hubs; a CHP's bar is striped, a gas boiler's solid.",
  };
}

/**
 * A chart of the energy held by one kind of storage, one line per hub in the hub's colour. Hubs whose
 * curves agree to within the caption's precision share one line (they would hide each other),
 * labelled with every hub.
 */
function storageChart(
  id: string,
  file: string,
  title: string,
  noun: string,
  units: StorageSeries[],
  hours: number,
): ChartSpec {
  const groups = new Map<string, StorageSeries[]>();
  for (const u of units) {
    const key = u.kwh.map((v) => v.toFixed(TOOLTIP_DECIMALS)).join(",");
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  const series: ChartSeries[] = [...groups.values()].map((g) => {
    const c = hubColour(g[0].hub);
    return {
      name: g.length === 1 ? g[0].label : `Hubs ${g.map((u) => u.hub).join(", ")} ${noun} (identical)`,
      unit: "kWh",
      kind: "line",
      values: g[0].kwh,
      colour: c.colour,
      dash: DASHES[c.pass % DASHES.length],
      dots: true,
    };
  });
  // Limits are drawn when every unit shares them (as in the published case).
  const same = (f: (u: StorageSeries) => number) =>
    units.length > 0 && units.every((u) => f(u) === f(units[0]));
  const limit = (label: string, kwh: number): ChartSeries => ({
    name: `${label} (${num(kwh)} kWh)`,
    unit: "kWh",
    kind: "line",
    values: Array.from({ length: hours }, () => kwh),
    colour: NEUTRAL.limit,
    width: LIMIT_LINE_PX,
    dash: LIMIT_DASH,
  });
  if (same((u) => u.capacityKwh)) series.push(limit("Capacity", units[0].capacityKwh));
  if (same((u) => u.minKwh)) series.push(limit("Minimum", units[0].minKwh));
  return {
    id,
    file,
    title,
    x: hoursAxis(hours),
    y: [{ name: "stored energy", unit: "kWh" }],
    series,
    caption:
      `The model's energy variable of each hour (battery: at the hour's start; tank: after its flows).` +
      (groups.size < units.length ? " Hubs with identical curves share a line." : ""),
  };
}

/**
 * The four hourly charts of a day's dispatch; `tag` makes their ids unique in a page of several
 * days (`""` for a one-day page: `chart-electricity`, …; `-d3`: `chart-electricity-d3`, …).
 */
function dispatchCharts(s: DispatchSeries, tag: string, data: Map<string, ChartData>): string {
  const id = (name: string) => `chart-${name}${tag}`;
  const file = (name: string) => `${name}${tag.replace("-d", "-day")}`;
  return chartFigure(electricityChart(s, id("electricity"), file("electricity")), data) +
    chartFigure(heatChart(s, id("heat"), file("heat")), data) +
    chartFigure(
      storageChart(
        id("battery"),
        file("battery"),
        "Battery energy over the day",
        "battery",
        s.battery,
        s.hours,
      ),
      data,
    ) +
    chartFigure(
      storageChart(
        id("tank"),
        file("tank"),
        "Heat-tank energy over the day",
        "heat tank",
        s.heatTank,
        s.hours,
      ),
      data,
    );
}

// ---------------------------------------------------------------------------
// Message flow

/** A received cell and what became of it: failed the check (with the verdict), or taken unchecked. */
interface Arrival {
  cell: string;
  rejected?: string;
  /** Accepted without the certificate check (a colluding follower: the round's note says so). */
  unchecked?: boolean;
}

/** The round's note that a delegate accepted a cell without checking it (consensus/recorder.ts). */
const UNCHECKED_NOTE = /^(.+) took (<\S*>\S*) unchecked$/;

/** `rec[key]` when it is an own entry of `rec` (a participant named `constructor` inherits nothing). */
function own<T>(rec: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** The arrivals of delegate d in round r, each marked with its verdict when it was rejected. */
function arrivals(r: RoundReport, d: string): Arrival[] {
  const list: Arrival[] = (own(r.received, d) ?? []).map((cell) => ({ cell }));
  // Arrivals not yet marked, by cell, in order: one pass over each list, however long.
  const unmarked = new Map<string, { same: Arrival[]; next: number }>();
  for (const a of list) {
    const q = unmarked.get(a.cell);
    if (q) q.same.push(a);
    else unmarked.set(a.cell, { same: [a], next: 0 });
  }
  for (const entry of own(r.rejected, d) ?? []) {
    const space = entry.indexOf(" ");
    const cell = space < 0 ? entry : entry.slice(0, space);
    const verdict = space < 0 ? "failed the check" : entry.slice(space + 1);
    const q = unmarked.get(cell);
    const hit = q?.same[q.next++];
    if (hit) hit.rejected = verdict;
    else list.push({ cell, rejected: verdict });
  }
  // Cells the delegate took unchecked, in order: the first accepted arrival of each is marked.
  for (const note of r.notes ?? []) {
    const m = UNCHECKED_NOTE.exec(note);
    if (!m || m[1] !== d) continue;
    const hit = list.find((a) => a.cell === m[2] && a.rejected === undefined && !a.unchecked);
    if (hit) hit.unchecked = true;
  }
  return list;
}

function delegateNames(report: RunReport, scenario?: Scenario): string[] {
  const names = scenario?.participants.filter((p) => p.delegate).map((p) => p.name) ?? [];
  for (const r of report.rounds ?? []) {
    for (const rec of [r.received, r.decision, r.rejected, r.blacklist]) {
      names.push(...Object.keys(rec ?? {}));
    }
  }
  return [...new Set(names)];
}

function normalNames(report: RunReport, scenario?: Scenario): string[] {
  const names = scenario?.participants.filter((p) => p.normal).map((p) => p.name) ?? [];
  names.push(...Object.keys(report.normal?.received ?? {}), ...Object.keys(report.normal?.accepted ?? {}));
  return [...new Set(names)];
}

function delegateCellHtml(r: RoundReport, d: string): string {
  const parts: string[] = [];
  const list = arrivals(r, d);
  if (list.length > 0) {
    parts.push(
      `<ul class="msgs">${
        list.map((a) =>
          a.unchecked
            ? `<li class="msg unchecked" title="${
              esc(`${d} took ${a.cell} unchecked: it accepted it without the certificate check`)
            }">${esc(a.cell)}<span class="why">⚠ unchecked</span></li>`
            : a.rejected === undefined
            ? `<li class="msg ok" title="${
              esc(`${d} accepted ${a.cell}: it passed the certificate check`)
            }">${esc(a.cell)}</li>`
            : `<li class="msg bad" title="${esc(`${d} rejected ${a.cell}: ${a.rejected}`)}">${esc(a.cell)}` +
              `<span class="why">✗ ${esc(a.rejected)}</span></li>`
        ).join("")
      }</ul>`,
    );
  } else {
    parts.push(`<p class="nothing">nothing received</p>`);
  }
  const decision = own(r.decision, d);
  if (decision === "commit") parts.push(`<p class="decision commit">→ commit</p>`);
  else if (decision === "blacklist") {
    parts.push(`<p class="decision blacklist">→ blacklist ${esc(r.leader || "the leader")}</p>`);
  } else if (decision === "none") parts.push(`<p class="decision none">— took no part</p>`);
  const bl = own(r.blacklist, d);
  if (bl) {
    parts.push(
      `<p class="blacklist-after">blacklist after: ${bl.length > 0 ? esc(bl.join(", ")) : "none"}</p>`,
    );
  }
  return parts.join("");
}

function flowTable(report: RunReport, scenario?: Scenario): string {
  const rounds = report.rounds ?? [];
  const delegates = delegateNames(report, scenario);
  if (rounds.length === 0 || delegates.length === 0) return `<p class="nothing">No round ran.</p>`;
  const head = rounds.map((r) =>
    `<th scope="col">Round ${esc(r.round)}<span class="sub">leader ${esc(r.leader || "—")}</span></th>`
  ).join("");
  const rows = delegates.map((d) =>
    `<tr><th scope="row">${esc(d)}</th>${
      rounds.map((r) => `<td${r.leader === d ? ' class="leader"' : ""}>${delegateCellHtml(r, d)}</td>`).join(
        "",
      )
    }</tr>`
  );
  const dropped = rounds.map((r) =>
    (r.dropped ?? []).length === 0
      ? `<td class="nothing">none</td>`
      : `<td><ul class="plain">${
        r.dropped.map((m) => `<li>to ${esc(m.to)}: ${esc(m.reason)}</li>`).join("")
      }</ul></td>`
  ).join("");
  const notes = rounds.map((r) =>
    (r.notes ?? []).length === 0
      ? `<td class="nothing">none</td>`
      : `<td><ul class="plain">${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></td>`
  ).join("");
  // Copies dropped because a signature failed: whose signature, and who signed the bad copy.
  const forged = rounds.map((r) =>
    (r.signatureFailures ?? []).length === 0
      ? `<td class="nothing">none</td>`
      : `<td><ul class="plain">${
        (r.signatureFailures ?? []).map((f) =>
          `<li>to ${esc(f.to)}: ${esc(f.signer)}'s signature failed${
            f.blame ? `; <strong>${esc(f.blame)}</strong> signed the bad copy` : ""
          }</li>`
        ).join("")
      }</ul></td>`
  ).join("");
  return `<div class="table-wrap"><table class="flow">` +
    `<thead><tr><th scope="col">Delegate</th>${head}</tr></thead>` +
    `<tbody>${rows.join("")}</tbody>` +
    `<tfoot><tr><th scope="row">Dropped messages</th>${dropped}</tr>` +
    `<tr><th scope="row">Signature failures</th>${forged}</tr>` +
    `<tr><th scope="row">Notes</th>${notes}</tr></tfoot>` +
    `</table></div>`;
}

function normalTable(report: RunReport, scenario?: Scenario): string {
  const unit = reportUnit(report, scenario);
  const normals = normalNames(report, scenario);
  if (normals.length === 0) return `<p class="nothing">No normal node took part.</p>`;
  const received = report.normal?.received ?? {};
  const accepted = report.normal?.accepted ?? {};
  const rows = normals.map((n) => {
    const a = own(accepted, n);
    const cells = own(received, n) ?? [];
    const chips = cells.length === 0
      ? `<span class="nothing">nothing received</span>`
      : `<ul class="msgs">${
        cells.map((c) => {
          const agrees = typeof a === "number" && cellAmount(c) === a;
          const accepted = typeof a === "number"
            ? `the accepted ${formatAmount(unit, a, 0)} ${unit.solution}`
            : "";
          const title = typeof a !== "number"
            ? `${n} received ${c}`
            : agrees
            ? `${n} received ${c}: matches ${accepted}`
            : `${n} received ${c}: not ${accepted}`;
          return `<li class="msg ${agrees ? "ok" : "other"}" title="${esc(title)}">${esc(c)}</li>`;
        }).join("")
      }</ul>`;
    const acc = typeof a === "number"
      ? `<td class="accepted">${esc(formatAmount(unit, a, 0))}</td>`
      : `<td class="accepted none">none</td>`;
    return `<tr><th scope="row">${esc(n)}</th><td>${chips}</td>${acc}</tr>`;
  });
  return `<div class="table-wrap"><table class="normal">` +
    `<thead><tr><th scope="col">Normal node</th><th scope="col">Decisions received</th>` +
    `<th scope="col">Accepted</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

// ---------------------------------------------------------------------------
// Page

/** A gap with four decimals, and its exact size when that rounds to zero: `$0.0000 ($1.2e-8)`. */
function gapText(unit: CostUnit, gapUsd: number): string {
  const rounded = formatAmount(unit, gapUsd, GAP_DECIMALS);
  return gapUsd !== 0 && Math.abs(gapUsd) < 10 ** -GAP_DECIMALS / 2
    ? `${rounded} (${unit.symbol}${gapUsd.toExponential(1)})`
    : rounded;
}

/** The facts of one day's run: outcome, certified cost, gap, verdict, time. */
function dayFacts(report: RunReport, scenario: Scenario | undefined): [string, string][] {
  const o = report.outcome;
  const normals = normalNames(report, scenario);
  const unit = reportUnit(report, scenario);
  const agreeing = o ? normals.filter((n) => own(report.normal?.accepted, n) === o.costUsd).length : 0;
  const outcome = o
    ? `round ${esc(o.round)}, leader ${esc(o.leader)}, ${esc(formatAmount(unit, o.costUsd, 0))}${
      esc(perPeriod(unit))
    }, ` +
      `accepted by ${agreeing} of ${normals.length} normal node${normals.length === 1 ? "" : "s"}`
    : `no block: no ${esc(unit.solution)} was accepted by a normal node`;
  const facts: [string, string][] = [["Outcome", `<span class="${o ? "good" : "bad"}">${outcome}</span>`]];
  const d = report.dispatch;
  if (d) {
    facts.push(
      [`Certified ${unit.quantity}`, esc(`${formatAmount(unit, d.costUsd)}${perPeriod(unit)}`)],
      ["Optimality gap", esc(gapText(unit, d.gapUsd))],
      ["Certificate", esc(d.verdict)],
    );
  }
  const t = report.timings;
  if (t) {
    const ms = (v: number) => (Number.isFinite(v) ? `${num(v, v < 10 ? 1 : 0)} ms` : "?");
    facts.push([
      "Time",
      esc(
        `start-up ${ms(t.startup)}, solving ${ms(t.solving)}, checking ${ms(t.checking)}, ` +
          `waiting ${ms(t.waiting)}, other ${ms(t.other)}, total ${ms(t.total)}`,
      ),
    ]);
  }
  return facts;
}

const factList = (facts: [string, string][]) =>
  `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;

/**
 * The page's header: the run's facts (scenario, runtime, seed) and, for a one-day page, the day's
 * (`dayFacts`); a multi-day page says how many days it holds and gives each day's facts with its day.
 */
function headerHtml(
  report: RunReport,
  scenario: Scenario | undefined,
  title: string,
  days: readonly RunReport[],
): string {
  const facts: [string, string][] = [
    [
      "Scenario",
      esc(report.scenario || scenario?.name || "(unnamed scenario)") +
      (scenario?.file ? ` <span class="muted">(${esc(scenario.file)})</span>` : ""),
    ],
    ["Runtime", esc(report.runtime ?? "unknown")],
    ["Seed", esc(report.seed ?? "?")],
  ];
  if (days.length > 1) {
    const decided = days.filter((d) => d.outcome).length;
    facts.push([
      "Days",
      esc(
        `${days.length} (blocks ${dayLabel(days[0], 0)} to ${
          dayLabel(days[days.length - 1], days.length - 1)
        }), ${decided} with a block`,
      ),
    ]);
  } else facts.push(...dayFacts(report, scenario));
  const behaviours = scenario
    ? scenario.participants.flatMap((p) =>
      describeMisbehaviour(p.misbehaviour, scenario.participants, p.id, report.costUnit?.solution)
    )
    : [];
  const notices = [...new Set([...days.flatMap((d) => d.notices ?? []), ...(scenario?.notices ?? [])])];
  return `<header><h1>${esc(title)}</h1>` +
    (scenario?.description ? `<p class="lead">${esc(scenario.description)}</p>` : "") +
    factList(facts) +
    (scenario
      ? `<p class="behaviours"><strong>Behaviours:</strong> ${
        behaviours.length === 0 ? "every participant is honest" : esc(behaviours.join("; "))
      }</p>`
      : "") +
    (notices.length > 0
      ? `<ul class="notices">${notices.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`
      : "") +
    `</header>`;
}

/** A day's block height, else its 1-based position in the run. */
const dayLabel = (r: RunReport, i: number) => r.day?.height ?? i + 1;

function chartsHtml(
  report: RunReport,
  scenario: Scenario | undefined,
  tag: string,
  data: Map<string, ChartData>,
): string {
  const d = report.dispatch;
  if (!d) {
    return `<section><h2>Dispatch</h2><p class="nothing">This report carries no dispatch series.</p></section>`;
  }
  const s = d.series;
  if (!isDispatchSeries(s)) return resultHtml(report, scenario, tag, data);
  return `<section><h2>Dispatch of the accepted block</h2>` +
    `<p class="muted">${esc(s.caseName)}, ${esc(s.hours)} one-hour periods (hour t covers t:00 to ` +
    `t+1:00). Bars are stacked by source; storage is shown on the network side, conversion losses ` +
    `included. Each chart's PNG and CSV buttons download it and its data.</p>` +
    dispatchCharts(s, tag, data) + `</section>`;
}

/** The cost unit of an axis or CSV column: `$/day`, `CNY/day`, `Σ`. */
function costAxisUnit(unit: CostUnit): string {
  const money = unit.currency === "USD" ? "$" : unit.currency ?? (unit.symbol || "units");
  return unit.per === undefined ? money : `${money}/${unit.per}`;
}

/**
 * The charts across days: the certified cost of each day's block and the round that decided it,
 * and the certificate's optimality gap (a day without a block has no point).
 */
function acrossDaysHtml(
  days: readonly RunReport[],
  scenario: Scenario | undefined,
  data: Map<string, ChartData>,
): string {
  const unit = reportUnit(days[days.length - 1], scenario);
  const cu = costAxisUnit(unit);
  const x = { name: "day", unit: "block height", values: days.map(dayLabel) };
  const cost = days.map((d) => d.dispatch?.costUsd ?? d.outcome?.costUsd ?? NaN);
  const gap = days.map((d) => d.dispatch?.gapUsd ?? NaN);
  const round = days.map((d) => d.outcome?.round ?? NaN);
  const costChart: ChartSpec = {
    id: "chart-days-cost",
    file: "days-cost-round",
    title: `Certified ${unit.quantity} and deciding round of each day`,
    x,
    y: [{ name: `certified ${unit.quantity}`, unit: cu }, {
      name: "deciding round",
      unit: "round",
      integer: true,
    }],
    series: [
      { name: `Certified ${unit.quantity}`, unit: cu, kind: "bar", values: cost, colour: PALETTE[0] },
      {
        name: "Deciding round",
        unit: "round",
        kind: "line",
        values: round,
        colour: PALETTE[1],
        dots: true,
        axis: 1,
        width: LOAD_LINE_PX,
      },
    ],
    caption: `Bars: the ${unit.quantity} of the block the normal nodes accepted (left axis); line: the ` +
      `round in which it was committed (right axis; 1 when the first leader's proposal passed). ` +
      `A day without a block has neither.`,
  };
  const gapChart: ChartSpec = {
    id: "chart-days-gap",
    file: "days-gap",
    title: "Optimality gap of each day's certificate",
    x,
    y: [{ name: "optimality gap", unit: cu }],
    series: [{ name: "Optimality gap", unit: cu, kind: "line", values: gap, colour: PALETTE[2], dots: true }],
    caption: `The certificate's duality gap (its primal minus its dual objective): how far the accepted ` +
      `${unit.solution} may be from the optimum, at most the checker's tolerance for an accepted block.`,
  };
  return `<section><h2>Across days</h2>` + chartFigure(costChart, data) +
    (gap.some(Number.isFinite) ? chartFigure(gapChart, data) : "") + `</section>`;
}

/** The day picker of a multi-day page: an option per day, the last selected. */
function dayPicker(days: readonly RunReport[], scenario: Scenario | undefined): string {
  const options = days.map((d, i) => {
    const unit = reportUnit(d, scenario);
    const what = d.outcome
      ? `${formatAmount(unit, d.outcome.costUsd, 0)}, round ${d.outcome.round}`
      : "no block";
    const h = dayLabel(d, i);
    return `<option value="${esc(h)}"${i === days.length - 1 ? " selected" : ""}>Day ${esc(h)}: ${
      esc(what)
    }</option>`;
  }).join("");
  return `<p class="picker"><label for="day-picker">Day shown below (its hourly charts and message flow): ` +
    `</label><select id="day-picker">${options}</select></p>`;
}

/** One day's body: its charts, the delegate phase and the normal-node phase. */
function dayHtml(
  report: RunReport,
  scenario: Scenario | undefined,
  tag: string,
  data: Map<string, ChartData>,
): string {
  const unit = reportUnit(report, scenario);
  return `${chartsHtml(report, scenario, tag, data)}
<section><h2>Delegate phase: messages received in every round</h2>
<p class="key">A cell lists what the delegate received, <code>&lt;${
    esc(unit.symbol)
  }OBJ&gt;PATH</code>: OBJ the
${esc(unit.solution)}'s true ${esc(unit.quantity)}${
    esc(perPeriod(unit))
  }, rounded to a whole number, PATH the leader
then the relayers. <span class="msg ok">green</span> passed the
certificate check, <span class="msg bad">red</span> was rejected (the verdict follows; hover for details),
<span class="msg unchecked">purple, dashed</span> was taken unchecked (a colluding delegate accepted it
without the check).
Then the delegate's decision and its blacklist after the round.</p>
${flowTable(report, scenario)}
</section>
<section><h2>Normal-node phase</h2>
<p class="key">The decisions each normal node received (<code>&lt;${
    esc(unit.symbol)
  }OBJ&gt;E</code>: from delegate E)
and the ${
    esc(unit.solution)
  } it accepted; <span class="msg ok">green</span> decisions match the accepted one.</p>
${normalTable(report, scenario)}
</section>`;
}

/**
 * Units that a kind's outcome field names end with (`gasMw`, `billCny`, `electricityCnyPerMwh`), for
 * column headings; the longest suffix wins.
 */
const FIELD_UNITS: readonly [suffix: string, unit: string][] = [
  ["CnyPerMwh", "CNY/MWh"],
  ["UsdPerKwh", "$/kWh"],
  ["Cny", "CNY"],
  ["Usd", "$"],
  ["Mwh", "MWh"],
  ["Kwh", "kWh"],
  ["Mw", "MW"],
  ["Kw", "kW"],
];
/** Decimals of a number in a result table. */
const RESULT_DECIMALS = 2;
/** Most rows of a result table (a larger array is cut, saying so). */
const MAX_RESULT_ROWS = 1000;

/** `electricityCnyPerMwh` → `electricity, CNY/MWh`; `id` → `id`. */
function fieldHeading(key: string): string {
  const unit = FIELD_UNITS.find(([suffix]) => key.endsWith(suffix) && key.length > suffix.length);
  const name = (unit ? key.slice(0, -unit[0].length) : key).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return unit ? `${name}, ${unit[1]}` : name;
}

/** A cell of a result table: numbers right-aligned with separators, lists joined, anything else as text. */
function resultCell(v: unknown): string {
  if (typeof v === "number") {
    return `<td class="num">${esc(num(v, Number.isInteger(v) ? 0 : RESULT_DECIMALS))}</td>`;
  }
  if (Array.isArray(v)) {
    return `<td>${v.map((e) => typeof e === "number" ? num(e, RESULT_DECIMALS) : esc(e)).join(", ")}</td>`;
  }
  return `<td>${esc(typeof v === "object" && v !== null ? JSON.stringify(v) : v)}</td>`;
}

/** An array of flat records as a table, a record as a two-column table, else nothing. */
function resultTable(key: string, value: unknown): string {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
    const columns = [...new Set(value.flatMap((r) => Object.keys(r)))];
    const rows = value.slice(0, MAX_RESULT_ROWS);
    return `<h3>${esc(fieldHeading(key))}</h3><table class="result"><thead><tr>${
      columns.map((c) => `<th>${esc(fieldHeading(c))}</th>`).join("")
    }</tr></thead><tbody>${
      rows.map((r) => `<tr>${columns.map((c) => resultCell(r[c])).join("")}</tr>`).join("")
    }</tbody></table>` +
      (value.length > rows.length
        ? `<p class="muted">${value.length - rows.length} more rows not shown.</p>`
        : "");
  }
  if (isRecord(value)) {
    return `<h3>${esc(fieldHeading(key))}</h3><table class="result"><tbody>${
      Object.entries(value).map(([k, v]) => `<tr><th>${esc(fieldHeading(k))}</th>${resultCell(v)}</tr>`).join(
        "",
      )
    }</tbody></table>`;
  }
  return "";
}

/**
 * The accepted solution of a kind without dispatch charts (a market, SimpleSum): the kind's outcome
 * lines, then each of its outcome fields as a table (a market's prices, and its communities'
 * purchases and bills).
 */
function resultHtml(
  report: RunReport,
  scenario: Scenario | undefined,
  tag: string,
  data: Map<string, ChartData>,
): string {
  const lines = report.dispatch?.outcomeLines ?? [];
  const { round: _r, leader: _l, costUsd: _c, ...fields } = report.outcome ?? {};
  const tables = Object.entries(fields).map(([k, v]) => resultTable(k, v)).join("");
  if (lines.length === 0 && tables === "") {
    return `<section><h2>Result</h2><p class="nothing">This problem kind reports no result beyond its cost.</p></section>`;
  }
  return `<section><h2>Result of the accepted block</h2>` +
    lines.map((l) => `<p>${esc(l)}</p>`).join("") +
    marketCharts((fields as Record<string, unknown>).communities, reportUnit(report, scenario), tag, data) +
    tables + `</section>`;
}

/** A market community's fields the charts draw (the market's outcome, problems/market/verifier.ts). */
interface CommunityPurchase {
  id: number;
  gasMw: number;
  electricityMw: number;
  heatMw: number;
  billCny: number;
}

/** Most communities drawn as bars (a larger market's table still lists every one). */
const MAX_CHART_COMMUNITIES = 200;

/**
 * A market's charts: each community's purchases of gas, electricity and heat (MW, negative: sold)
 * and its bill; nothing when the outcome has no such communities (another kind).
 */
function marketCharts(value: unknown, unit: CostUnit, tag: string, data: Map<string, ChartData>): string {
  const isCommunity = (c: unknown): c is CommunityPurchase => {
    if (typeof c !== "object" || c === null) return false;
    const r = c as Record<string, unknown>;
    return ["id", "gasMw", "electricityMw", "heatMw", "billCny"].every((k) => typeof r[k] === "number");
  };
  if (!Array.isArray(value) || value.length === 0 || !value.every(isCommunity)) return "";
  const cs = value.slice(0, MAX_CHART_COMMUNITIES);
  const x = { name: "community", unit: "id", values: cs.map((c) => c.id) };
  const bar = (name: string, k: number, values: number[], unitName: string): ChartSeries => ({
    name,
    unit: unitName,
    kind: "bar",
    values,
    colour: paletteEntry(k).colour,
  });
  const purchases: ChartSpec = {
    id: `chart-purchases${tag}`,
    file: `purchases${tag.replace("-d", "-day")}`,
    title: "Each community's purchases at the clearing prices",
    x,
    y: [{ name: "power bought", unit: "MW" }],
    series: [
      bar("Gas", 0, cs.map((c) => c.gasMw), "MW"),
      bar("Electricity", 1, cs.map((c) => c.electricityMw), "MW"),
      bar("Heat", 2, cs.map((c) => c.heatMw), "MW"),
    ],
    caption: "Negative: sold to the market." +
      (value.length > cs.length ? ` The first ${cs.length} of ${value.length} communities.` : ""),
  };
  const billUnit = costAxisUnit(unit);
  const bills: ChartSpec = {
    id: `chart-bills${tag}`,
    file: `bills${tag.replace("-d", "-day")}`,
    title: "Each community's bill at the clearing prices",
    x,
    y: [{ name: "bill", unit: billUnit }],
    series: [bar("Bill", 3, cs.map((c) => c.billCny), billUnit)],
    caption: "Gas + electricity + heat at the clearing prices; negative: the community earns.",
  };
  return chartFigure(purchases, data) + chartFigure(bills, data);
}

/** Texts of a chart whose boxes overlap by more than this, px each way, count as overlapping. */
const OVERLAP_SLACK_PX = 0.5;

/**
 * The page's only script: exports charts (cli/charts.ts), shows the day the picker names, and records
 * for tests the charts drawn, overlapping chart texts, the smallest chart font and script errors.
 */
const PAGE_SCRIPT = `(function () {
  var errors = [];
  function save() {
    if (document.body) document.body.dataset.errors = errors.join(" | ");
  }
  window.onerror = function (message, source, line) {
    errors.push(String(message) + (line ? " (line " + line + ")" : ""));
    save();
  };${EXPORT_SCRIPT}
  function measure() {
    var charts = 0, overlaps = 0, minFont = Infinity;
    document.querySelectorAll("svg.chart").forEach(function (svg) {
      var box = svg.getBoundingClientRect();
      if (box.width === 0 || svg.querySelectorAll("path").length === 0) return;
      charts++;
      minFont = Math.min(minFont, ${CHART_FONT_PX} * box.width / svg.viewBox.baseVal.width);
      var texts = [];
      svg.querySelectorAll("text").forEach(function (t) {
        var r = t.getBoundingClientRect();
        if (r.width > 0 && t.textContent.trim() !== "") texts.push(r);
      });
      for (var i = 0; i < texts.length; i++) {
        for (var j = i + 1; j < texts.length; j++) {
          var a = texts[i], b = texts[j], s = ${OVERLAP_SLACK_PX};
          if (a.left + s < b.right && b.left + s < a.right && a.top + s < b.bottom && b.top + s < a.bottom) {
            overlaps++;
          }
        }
      }
    });
    document.body.dataset.charts = String(charts);
    document.body.dataset.overlaps = String(overlaps);
    document.body.dataset.minFont = charts > 0 ? minFont.toFixed(1) : "";
    save();
  }
  function showDay(day) {
    document.querySelectorAll("div.day").forEach(function (div) {
      div.hidden = div.getAttribute("data-day") !== day;
    });
  }
  window.addEventListener("load", function () {
    // The address may name the day to show (#day=3); #check-png makes the first shown chart's PNG
    // export and records its size (data-png-bytes) instead of downloading it, for tests.
    var params = new URLSearchParams(location.hash.slice(1));
    var picker = document.getElementById("day-picker");
    if (picker) {
      picker.addEventListener("change", function () { showDay(picker.value); measure(); });
      if (params.has("day")) {
        picker.value = params.get("day");
        showDay(picker.value);
      }
    }
    measure();
    if (params.has("check-png")) {
      var shown = [].filter.call(document.querySelectorAll("svg.chart"), function (svg) {
        return svg.getBoundingClientRect().width > 0;
      });
      if (shown.length > 0) {
        pngOf(shown[0], function (png) { document.body.dataset.pngBytes = String(png ? png.size : 0); });
      }
    }
  });
})();`;

const STYLE = `
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --ok: #1f7a45; --ok-bg: #e3f6ea;
  --bad: #b42318; --bad-bg: #fde8e6; --other: #8a5a00; --other-bg: #fff4d6;
  --unc: #4b2991; --unc-bg: #eee8fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "Liberation Sans", "DejaVu Sans", Arial, Helvetica, sans-serif; color: var(--ink);
  background: #f5f7fa; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 40px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
.lead { margin: 0 0 12px; color: var(--muted); }
.muted { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
.facts dt { font-weight: bold; }
.facts dd { margin: 0; }
.good { color: var(--ok); font-weight: bold; }
.bad { color: var(--bad); font-weight: bold; }
.behaviours { margin: 8px 0; }
.notices { color: var(--other); }
.chart-box { margin: 16px 0 8px; }
.chart-title { font-weight: bold; margin-bottom: 4px; display: flex; gap: 12px; align-items: baseline;
  flex-wrap: wrap; }
.chart-title .export { display: inline-flex; gap: 6px; font-weight: normal; }
.chart-title button { font: 12px/1.2 "Liberation Sans", "DejaVu Sans", sans-serif; padding: 2px 8px;
  border: 1px solid #9aa5b1; border-radius: 4px; background: #f5f7fa; cursor: pointer; }
svg.chart { width: 100%; max-width: 880px; height: auto; display: block; }
.picker { margin: 24px 0 0; padding: 10px 12px; background: #f0f4f8; border-radius: 6px; font-weight: bold; }
.picker select { font: inherit; margin-left: 6px; }
h2.day-title { border-bottom: 3px solid #9fb3c8; }
@media (max-width: 760px) { main { padding: 12px 10px 24px; } }
@media print { .export, .picker { display: none; } }
.caption { font-size: 13px; color: var(--muted); margin: 4px 0 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 6px 10px; vertical-align: top; text-align: left; }
thead th { background: #f0f4f8; }
th .sub { display: block; font-weight: normal; color: var(--muted); font-size: 13px; }
tbody th, tfoot th { background: #f8fafc; }
td.leader { background: #fbfcfe; box-shadow: inset 3px 0 0 #9fb3c8; }
table.flow td { min-width: 200px; }
table.result td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.msgs { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
.msg { font: 13px/1.3 "Liberation Mono", "DejaVu Sans Mono", monospace; padding: 2px 6px; border-radius: 4px;
  border: 1px solid; cursor: help; }
.msg.ok { color: var(--ok); background: var(--ok-bg); border-color: #9fd8b4; }
.msg.bad { color: var(--bad); background: var(--bad-bg); border-color: #f5b5ad; text-decoration: line-through; }
.msg.bad .why { text-decoration: none; display: inline-block; margin-left: 6px; font-family: "Liberation Sans",
  "DejaVu Sans", sans-serif; }
.msg.unchecked { color: var(--unc); background: var(--unc-bg); border: 2px dashed #7b5cc4; }
.msg.unchecked .why { display: inline-block; margin-left: 6px; font-family: "Liberation Sans", "DejaVu Sans",
  sans-serif; }
.msg.other { color: var(--other); background: var(--other-bg); border-color: #f0cf7a; }
.decision { margin: 6px 0 0; font-weight: bold; }
.decision.commit { color: var(--ok); }
.decision.blacklist { color: var(--bad); }
.decision.none { color: var(--muted); font-weight: normal; }
.blacklist-after { margin: 2px 0 0; font-size: 13px; color: var(--muted); }
.nothing { color: var(--muted); font-style: italic; margin: 0; }
ul.plain { margin: 0; padding-left: 18px; }
td.accepted { font-weight: bold; color: var(--ok); }
td.accepted.none { color: var(--muted); font-weight: normal; }
.key { font-size: 13px; color: var(--muted); }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
`;

/**
 * The start of a self-contained report page, up to and including `<main>`: the inline style, the one
 * script (allowed by its hash) and a Content-Security-Policy that allows no external resource.
 */
export function pageHead(title: string): string {
  const scriptHash = createHash("sha256").update(PAGE_SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; ` +
    `img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
<script>${PAGE_SCRIPT}</script>
</head>
<body>
<main>`;
}

/**
 * Renders a run's report as one self-contained HTML page (no network at view
 * time: inline CSS, ECharts' charts as inline SVG, a Content-Security-Policy
 * that allows no external resource). The page has a header (scenario, runtime,
 * seed, outcome, certified cost, gap and verdict when `report.dispatch` is set),
 * four charts of the dispatch (electricity and heat supply by source against
 * the load, battery and heat-tank energy; a market's: purchases and bills;
 * omitted without `report.dispatch`), each with PNG and CSV export, the
 * delegate phase as in Table 3 of the article (a row per delegate, a column
 * per round; messages that passed the check green, rejected ones red with the
 * verdict, ones a colluder took unchecked purple; decision and blacklist after
 * the round; dropped messages and notes) and the normal-node phase. Every
 * string of the report is escaped.
 *
 * Given the reports of several days (a multi-day run), the page starts with
 * charts across the days (certified cost, deciding round, optimality gap) and
 * a day picker, and holds every day's charts and message flow (the last day
 * shown). A list of one day gives that day's page.
 *
 * @example
 * ```ts
 * import { renderReportHtml } from "./report.ts";
 * const html = renderReportHtml({
 *   scenario: "Scenario I", runtime: "simulator", seed: 1, notices: [],
 *   rounds: [{
 *     round: 1, leader: "C", received: { F: ["<$904>C"] }, decision: { F: "blacklist" },
 *     rejected: { F: ["<$904>C suboptimal"] }, blacklist: { F: ["C"] }, dropped: [], notes: [],
 *   }],
 *   normal: { received: {}, accepted: {} }, outcome: null,
 * });
 * console.log(html.startsWith("<!DOCTYPE html>")); // true
 * ```
 */
export function renderReportHtml(
  report: RunReport | readonly RunReport[],
  options: ReportHtmlOptions = {},
): string {
  const days: readonly RunReport[] = isReportList(report) ? report : [report];
  if (days.length === 0) throw new RangeError("renderReportHtml: no day to report");
  const last = days[days.length - 1];
  const scenario = options.scenario;
  const name = last.scenario || scenario?.name || "(unnamed scenario)";
  const title = options.title ?? `PoSo run report: ${name}`;
  const data = new Map<string, ChartData>();
  let body: string;
  if (days.length === 1) body = dayHtml(last, scenario, "", data);
  else {
    body = acrossDaysHtml(days, scenario, data) + dayPicker(days, scenario) +
      days.map((d, i) => {
        const h = dayLabel(d, i);
        return `<div class="day" data-day="${esc(h)}"${i === days.length - 1 ? "" : " hidden"}>` +
          `<h2 class="day-title">Day ${esc(h)}</h2>${factList(dayFacts(d, scenario))}` +
          dayHtml(d, scenario, `-d${i + 1}`, data) + `</div>`;
      }).join("\n");
  }
  return `${pageHead(title)}
${headerHtml(last, scenario, title, days)}
${body}
${chartDataScript(data)}
<footer>PoSo-TS run report. Self-contained: no script, style, font or image is loaded from anywhere.${
    options.generatedBy ? ` ${esc(options.generatedBy)}` : ""
  }</footer>
</main>
</body>
</html>
`;
}

function isReportList(r: RunReport | readonly RunReport[]): r is readonly RunReport[] {
  return Array.isArray(r);
}

/**
 * Writes {@link renderReportHtml}'s page to `file`, creating its folder.
 *
 * @example
 * ```ts ignore
 * import { writeReport } from "./report.ts";
 * await writeReport({
 *   scenario: "empty", runtime: "simulator", seed: 1, notices: [], rounds: [],
 *   normal: { received: {}, accepted: {} }, outcome: null,
 * }, "out/report.html");
 * ```
 */
export async function writeReport(
  report: RunReport | readonly RunReport[],
  file: string | URL,
  options: ReportHtmlOptions = {},
): Promise<void> {
  const path = typeof file === "string" ? file : fileURLToPath(file);
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, renderReportHtml(report, options));
}
