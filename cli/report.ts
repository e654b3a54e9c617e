/**
 * A run's report as one self-contained HTML page: the header (scenario,
 * runtime, seed, outcome), the certified dispatch (cost, gap, verdict), its
 * hourly charts (electricity and heat supply by source against the load,
 * battery and heat-tank energy) and the message flow of every round laid out
 * like Table 3 of the article, then the normal-node phase.
 *
 * Nothing is fetched when the page is viewed: the CSS is inline, the charts
 * are SVG generated here (they need no script), and a Content-Security-Policy
 * forbids any network resource. The one inline script (allowed by its hash)
 * only records, for tests, how many charts were drawn (`data-charts` on the
 * body) and any script error (`data-errors`). Every string taken from the
 * report is HTML-escaped.
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
// Layout constants (SVG user units are CSS pixels at the page's natural width)

/** Width of a full-width chart, px (viewBox units; the SVG scales to its container). */
export const WIDE_CHART_WIDTH_PX = 1120;
/** Width of a half-width chart, px. */
const HALF_CHART_WIDTH_PX = 548;
/** Height of every chart, px. */
export const CHART_HEIGHT_PX = 320;
/** Space around the plot area for axes and their labels, px. */
export const MARGIN_PX = { left: 72, right: 16, top: 14, bottom: 46 } as const;
/** Share of an hour's band that its bar fills (the rest is the gap between bars), fraction. */
const BAR_FILL = 0.78;
/** Hours between two labelled ticks of the time axis, h. */
const HOUR_TICK_STEP_H = 3;
/** Most intervals between value-axis ticks (the step is the finest 1, 2 or 5 × 10^k that fits). */
export const MAX_VALUE_INTERVALS = 8;
/** Font size of axis tick labels, px. */
export const TICK_FONT_PX = 12;
/** Font size of axis titles, px. */
export const AXIS_TITLE_FONT_PX = 13;
/** Length of a time-axis tick mark, px. */
export const TICK_LENGTH_PX = 5;
/** Gap between a tick and its label, px. */
export const TICK_LABEL_GAP_PX = 6;
/** Distance of an axis title from the chart's edge, px. */
export const AXIS_TITLE_INSET_PX = 4;
/** Stroke width of a storage limit line, px. */
const LIMIT_LINE_PX = 1;
/** Stroke width of a load or demand line, px. */
const LOAD_LINE_PX = 2.5;
/** Stroke width of a storage energy line, px. */
const ENERGY_LINE_PX = 2;
/** Radius of the dots marking each hour's storage energy, px. */
const ENERGY_DOT_PX = 2.5;
/** Dash pattern of a demand line, px on / px off. */
const DEMAND_DASH = "7 4";
/** Dash pattern of a limit (minimum, capacity) line, px on / px off. */
const LIMIT_DASH = "3 3";
/** Values (kW or kWh) whose magnitude is below this are treated as zero when deciding what to draw. */
const ZERO_KW = 1e-6;
/** Lightness range of the shades given to the hubs of one source type, % (darkest, lightest). */
const SHADE_LIGHTNESS_PCT = [30, 70] as const;
/** Decimals of an optimality gap, in the cost unit (the checker's tolerance is 0.01 of it). */
const GAP_DECIMALS = 4;
/** Decimals of a power or energy value in a tooltip, kW or kWh. */
const TOOLTIP_DECIMALS = 1;

/** Colours of the source types; per-hub series get shades of these hues. */
const COLOURS = {
  grid: "#7b8794",
  load: "#1f2933",
  demand: "#b42318",
  batteryDischarge: "#2f9e5b",
  batteryCharge: "#9fd8b4",
  tankDischarge: "#8151b8",
  tankCharge: "#cdb6ea",
  limit: "#9aa5b1",
} as const;
/** Hue of the CHP shades, degrees. */
const CHP_HUE_DEG = 28;
/** Hue of the gas-boiler shades, degrees. */
const BOILER_HUE_DEG = 208;
/** Saturation of the per-hub shades, %. */
const SHADE_SATURATION_PCT = 78;
/** Colours of per-hub storage lines, one per hub (cycled). */
const HUB_PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
] as const;

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

/** `13:00–14:00` for hour index 13. */
const hourSpan = (t: number) => `${String(t).padStart(2, "0")}:00–${String(t + 1).padStart(2, "0")}:00`;

/** Coordinates with at most two decimals, to keep the SVG small. */
export const c2 = (v: number) => String(Math.round(v * 100) / 100);

// ---------------------------------------------------------------------------
// Charts

/** A stacked band of a bar chart: one value per hour. */
interface Band {
  label: string;
  colour: string;
  values: number[];
  /** Tooltip detail of hour t, after the label and value. */
  detail?: (t: number) => string;
}

/** A line of a chart: one value per hour. */
interface Line {
  label: string;
  colour: string;
  values: number[];
  width: number;
  dash?: string;
  /** Drawn as steps across each hour (a power held for the hour) or as a polyline through dots. */
  shape: "step" | "dots";
}

/** A chart: stacked bars above and below zero, lines, axes, a legend. */
interface ChartSpec {
  id: string;
  title: string;
  /** The value axis's title, unit included. */
  axisTitle: string;
  unit: string;
  hours: number;
  width: number;
  positive: Band[];
  negative: Band[];
  lines: Line[];
  /** Shown under the chart. */
  caption: string;
}

/**
 * Ticks of a value axis covering lo..hi: the finest round step (1, 2 or 5 × 10^k) that needs at most
 * {@link MAX_VALUE_INTERVALS} intervals, and the domain it spans.
 */
export function valueTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  if (!(hi > lo)) hi = lo + 1;
  const mag = 10 ** Math.floor(Math.log10((hi - lo) / MAX_VALUE_INTERVALS));
  const intervals = (s: number) => Math.ceil(hi / s) - Math.floor(lo / s);
  const step = [1, 2, 5, 10, 20].map((m) => m * mag).find((s) => intervals(s) <= MAX_VALUE_INTERVALS) ??
    20 * mag;
  const a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let k = 0; a + k * step <= b + step / 2; k++) ticks.push(a + k * step);
  return { lo: a, hi: b, ticks };
}

/** Shade k of n of a hue, darkest first. */
function shade(hue: number, k: number, n: number): string {
  const [dark, light] = SHADE_LIGHTNESS_PCT;
  const l = n <= 1 ? (dark + light) / 2 : dark + ((light - dark) * k) / (n - 1);
  return `hsl(${hue} ${SHADE_SATURATION_PCT}% ${Math.round(l)}%)`;
}

function renderChart(spec: ChartSpec): string {
  const { width, hours } = spec;
  const height = CHART_HEIGHT_PX;
  const x0 = MARGIN_PX.left, x1 = width - MARGIN_PX.right;
  const y0 = height - MARGIN_PX.bottom, y1 = MARGIN_PX.top;
  const band = (x1 - x0) / Math.max(1, hours);
  const xAt = (h: number) => x0 + h * band;

  const stackTop = (bands: Band[], t: number) => bands.reduce((s, b) => s + Math.max(0, b.values[t] ?? 0), 0);
  const T = Array.from({ length: hours }, (_, t) => t);
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  // Loops, not Math.max(...values): a long series would overflow the argument stack.
  let maxV = 0, minV = 0;
  for (const t of T) {
    maxV = Math.max(maxV, stackTop(spec.positive, t));
    minV = Math.min(minV, -stackTop(spec.negative, t));
  }
  for (const l of spec.lines) {
    for (const v of l.values) {
      maxV = Math.max(maxV, finite(v));
      minV = Math.min(minV, finite(v));
    }
  }
  const axis = valueTicks(minV, maxV);
  const yAt = (v: number) => y0 - ((v - axis.lo) / (axis.hi - axis.lo)) * (y0 - y1);

  const out: string[] = [];
  out.push(
    `<svg class="chart" id="${esc(spec.id)}" viewBox="0 0 ${width} ${height}" role="img" ` +
      `aria-labelledby="${esc(spec.id)}-title" preserveAspectRatio="xMidYMid meet">`,
    `<title id="${esc(spec.id)}-title">${esc(spec.title)}</title>`,
  );
  // Value grid and axis.
  out.push(`<g class="grid">`);
  for (const v of axis.ticks) {
    const y = c2(yAt(v));
    out.push(
      `<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}"${v === 0 ? ' class="zero"' : ""}/>`,
      `<text class="tick" x="${
        x0 - TICK_LABEL_GAP_PX
      }" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(num(v))}</text>`,
    );
  }
  out.push(`</g>`);
  out.push(
    `<text class="axis-title" transform="translate(${AXIS_TITLE_FONT_PX + AXIS_TITLE_INSET_PX} ${
      c2((y0 + y1) / 2)
    }) rotate(-90)" text-anchor="middle">${esc(spec.axisTitle)}</text>`,
  );
  // Time axis.
  out.push(`<g class="time-axis">`, `<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/>`);
  for (let h = 0; h <= hours; h += HOUR_TICK_STEP_H) {
    const x = c2(xAt(h));
    out.push(
      `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + TICK_LENGTH_PX}"/>`,
      `<text class="tick" x="${x}" y="${
        y0 + TICK_LENGTH_PX + TICK_FONT_PX + TICK_LABEL_GAP_PX / 2
      }" text-anchor="middle">${String(h).padStart(2, "0")}:00</text>`,
    );
  }
  out.push(
    `</g>`,
    `<text class="axis-title" x="${c2((x0 + x1) / 2)}" y="${
      height - AXIS_TITLE_INSET_PX
    }" text-anchor="middle">` +
      `hour of the day (h)</text>`,
  );

  // Stacked bars, one group per band.
  const barW = band * BAR_FILL;
  const drawStack = (bands: Band[], sign: 1 | -1) => {
    const base = T.map(() => 0);
    for (const b of bands) {
      out.push(`<g class="series bars" data-series="${esc(b.label)}" fill="${esc(b.colour)}">`);
      for (const t of T) {
        const v = Math.max(0, b.values[t] ?? 0);
        if (v <= ZERO_KW) continue;
        const from = base[t], to = base[t] + v;
        base[t] = to;
        const ya = yAt(sign * from), yb = yAt(sign * to);
        const detail = b.detail ? ` (${b.detail(t)})` : "";
        out.push(
          `<rect x="${c2(xAt(t) + (band - barW) / 2)}" y="${c2(Math.min(ya, yb))}" width="${c2(barW)}" ` +
            `height="${c2(Math.abs(yb - ya))}"><title>${esc(b.label)}, ${hourSpan(t)}: ${
              esc(num(sign * v, TOOLTIP_DECIMALS))
            } ${esc(spec.unit)}${esc(detail)}</title></rect>`,
        );
      }
      out.push(`</g>`);
    }
  };
  drawStack(spec.positive, 1);
  drawStack(spec.negative, -1);

  // Lines.
  for (const l of spec.lines) {
    const dash = l.dash ? ` stroke-dasharray="${l.dash}"` : "";
    out.push(
      `<g class="series line" data-series="${esc(l.label)}">`,
    );
    if (l.shape === "step") {
      const d = T.map((t) => {
        const y = c2(yAt(finite(l.values[t])));
        return `${t === 0 ? "M" : "L"}${c2(xAt(t))} ${y} H${c2(xAt(t + 1))}`;
      }).join(" ");
      out.push(
        `<path d="${d}" fill="none" stroke="${esc(l.colour)}" stroke-width="${l.width}"${dash}>` +
          `<title>${esc(l.label)}</title></path>`,
      );
    } else {
      const pts = T.map((t) => `${c2(xAt(t + 0.5))},${c2(yAt(finite(l.values[t])))}`).join(" ");
      out.push(
        `<polyline points="${pts}" fill="none" stroke="${esc(l.colour)}" stroke-width="${l.width}"${dash}/>`,
      );
      if (!l.dash) {
        for (const t of T) {
          out.push(
            `<circle cx="${c2(xAt(t + 0.5))}" cy="${c2(yAt(finite(l.values[t])))}" r="${ENERGY_DOT_PX}" ` +
              `fill="${esc(l.colour)}"><title>${esc(l.label)}, hour ${t + 1} (${hourSpan(t)}): ${
                esc(num(l.values[t], TOOLTIP_DECIMALS))
              } ${esc(spec.unit)}</title></circle>`,
          );
        }
      }
    }
    out.push(`</g>`);
  }
  out.push(`<rect class="frame" x="${x0}" y="${y1}" width="${c2(x1 - x0)}" height="${c2(y0 - y1)}"/>`);
  out.push(`</svg>`);

  const legend = [
    ...spec.positive.map((b) => legendItem(b.label, b.colour, "box")),
    ...spec.negative.map((b) => legendItem(b.label, b.colour, "box")),
    ...spec.lines.map((l) => legendItem(l.label, l.colour, l.dash ? "dash" : "line")),
  ];
  return `<figure class="chart-box${width === HALF_CHART_WIDTH_PX ? " half" : ""}">` +
    `<figcaption class="chart-title">${esc(spec.title)}</figcaption>` +
    out.join("") +
    `<ul class="legend">${legend.join("")}</ul>` +
    (spec.caption ? `<p class="caption">${esc(spec.caption)}</p>` : "") +
    `</figure>`;
}

/** A legend entry: a swatch (box, line or dashed line) of `colour` and its label. */
export function legendItem(label: string, colour: string, kind: "box" | "line" | "dash"): string {
  return `<li><span class="swatch ${kind}" style="--c:${esc(colour)}"></span>${esc(label)}</li>`;
}

/** Σ of series, per hour. */
function sumOf(series: PowerSeries[], hours: number): number[] {
  return Array.from({ length: hours }, (_, t) => series.reduce((s, p) => s + (p.kw[t] ?? 0), 0));
}

const nonZero = (values: number[]) => values.some((v) => Math.abs(v) > ZERO_KW);

/** Per-hub detail of an aggregated band, e.g. `hub 2 54.0 kW, hub 3 54.0 kW`. */
function perHub(series: PowerSeries[], unit: string): (t: number) => string {
  return (t) =>
    series.filter((s) => Math.abs(s.kw[t] ?? 0) > ZERO_KW)
      .map((s) => `hub ${s.hub} ${num(s.kw[t], TOOLTIP_DECIMALS)} ${unit}`).join(", ");
}

/** One band per hub with output, in shades of `hue`; the labels of the idle ones. */
function perHubBands(series: PowerSeries[], hue: number): { bands: Band[]; idle: string[] } {
  const used = series.filter((s) => nonZero(s.kw));
  return {
    bands: used.map((s, k) => ({ label: s.label, colour: shade(hue, k, used.length), values: s.kw })),
    idle: series.filter((s) => !nonZero(s.kw)).map((s) => s.label),
  };
}

/** One band for the sum of several hubs' storage series, when any of them is non-zero. */
function storageBand(series: PowerSeries[], label: string, colour: string, hours: number): Band[] {
  const values = sumOf(series, hours);
  return nonZero(values) ? [{ label, colour, values, detail: perHub(series, "kW") }] : [];
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

function electricityChart(s: DispatchSeries): string {
  const b = s.electricity;
  const grid = b.supply.filter((p) => p.key === "grid");
  const chp = perHubBands(b.supply.filter((p) => p.key.endsWith(".chp")), CHP_HUE_DEG);
  const discharge = b.supply.filter((p) => p.key.endsWith(".battery.discharge"));
  const charge = sumOf(b.charge, s.hours);
  const demand = b.loadKw.map((v, t) => v + b.lossKw[t] + charge[t]);
  const positive: Band[] = [
    ...grid.filter((g) => nonZero(g.kw)).map((g) => ({ label: g.label, colour: COLOURS.grid, values: g.kw })),
    ...chp.bands,
    ...storageBand(discharge, "Battery discharge, all hubs", COLOURS.batteryDischarge, s.hours),
  ];
  const idle = [...grid.filter((g) => !nonZero(g.kw)).map((g) => g.label), ...chp.idle];
  return renderChart({
    id: "chart-electricity",
    title: "Electricity supply by source against the electric load",
    axisTitle: "electric power (kW)",
    unit: "kW",
    hours: s.hours,
    width: WIDE_CHART_WIDTH_PX,
    positive,
    negative: storageBand(
      b.charge,
      "Battery charging, all hubs (below zero)",
      COLOURS.batteryCharge,
      s.hours,
    ),
    lines: [
      { label: "Electric load", colour: COLOURS.load, values: b.loadKw, width: LOAD_LINE_PX, shape: "step" },
      {
        label: "Load + battery charging",
        colour: COLOURS.demand,
        values: demand,
        width: LOAD_LINE_PX,
        dash: DEMAND_DASH,
        shape: "step",
      },
    ],
    caption: balanceCaption(b, idle),
  });
}

function heatChart(s: DispatchSeries): string {
  const b = s.heat;
  const chp = perHubBands(b.supply.filter((p) => p.key.endsWith(".chp.heat")), CHP_HUE_DEG);
  const boiler = perHubBands(b.supply.filter((p) => p.key.endsWith(".boiler")), BOILER_HUE_DEG);
  const discharge = b.supply.filter((p) => p.key.endsWith(".tank.discharge"));
  const charge = sumOf(b.charge, s.hours);
  const loss = b.lossKw.reduce((m, v) => Math.max(m, v), 0);
  return renderChart({
    id: "chart-heat",
    title: "Heat supply by source against the heat load",
    axisTitle: "heat power (kW)",
    unit: "kW",
    hours: s.hours,
    width: WIDE_CHART_WIDTH_PX,
    positive: [
      ...chp.bands,
      ...boiler.bands,
      ...storageBand(discharge, "Heat tank discharge, all hubs", COLOURS.tankDischarge, s.hours),
    ],
    negative: storageBand(b.charge, "Heat tank charging, all hubs (below zero)", COLOURS.tankCharge, s.hours),
    lines: [
      { label: "Heat load", colour: COLOURS.load, values: b.loadKw, width: LOAD_LINE_PX, shape: "step" },
      {
        label: `Heat load + pipe losses (${num(loss, TOOLTIP_DECIMALS)} kW) + tank charging`,
        colour: COLOURS.demand,
        values: b.loadKw.map((v, t) => v + b.lossKw[t] + charge[t]),
        width: LOAD_LINE_PX,
        dash: DEMAND_DASH,
        shape: "step",
      },
    ],
    caption: balanceCaption(b, [...chp.idle, ...boiler.idle]),
  });
}

/**
 * A chart of the energy held by one kind of storage, one line per hub. Hubs whose curves agree to
 * within the tooltip's precision share one line (they would hide each other), labelled with every hub.
 */
function storageChart(
  id: string,
  title: string,
  noun: string,
  units: StorageSeries[],
  hours: number,
): string {
  const groups = new Map<string, StorageSeries[]>();
  for (const u of units) {
    const key = u.kwh.map((v) => v.toFixed(TOOLTIP_DECIMALS)).join(",");
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  const lines: Line[] = [...groups.values()].map((g, k) => ({
    label: g.length === 1 ? g[0].label : `Hubs ${g.map((u) => u.hub).join(", ")} ${noun} (identical)`,
    colour: HUB_PALETTE[k % HUB_PALETTE.length],
    values: g[0].kwh,
    width: ENERGY_LINE_PX,
    shape: "dots",
  }));
  // Limits are drawn when every unit shares them (as in the published case).
  const same = (f: (u: StorageSeries) => number) =>
    units.length > 0 && units.every((u) => f(u) === f(units[0]));
  const flat = (v: number) => Array.from({ length: hours }, () => v);
  const limit = (label: string, kwh: number): Line => ({
    label: `${label} (${num(kwh)} kWh)`,
    colour: COLOURS.limit,
    values: flat(kwh),
    width: LIMIT_LINE_PX,
    dash: LIMIT_DASH,
    shape: "dots",
  });
  if (same((u) => u.capacityKwh)) lines.push(limit("Capacity", units[0].capacityKwh));
  if (same((u) => u.minKwh)) lines.push(limit("Minimum", units[0].minKwh));
  return renderChart({
    id,
    title,
    axisTitle: "stored energy (kWh)",
    unit: "kWh",
    hours,
    width: HALF_CHART_WIDTH_PX,
    positive: [],
    negative: [],
    lines,
    caption:
      `The model's energy variable of each hour (battery: at the hour's start; tank: after its flows).` +
      (groups.size < units.length ? " Hubs with identical curves share a line." : ""),
  });
}

// ---------------------------------------------------------------------------
// Message flow

/** A received cell and whether it failed the check (with the verdict). */
interface Arrival {
  cell: string;
  rejected?: string;
}

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
          a.rejected === undefined
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

function headerHtml(report: RunReport, scenario: Scenario | undefined, title: string): string {
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
  const facts: [string, string][] = [
    [
      "Scenario",
      esc(report.scenario || scenario?.name || "(unnamed scenario)") +
      (scenario?.file ? ` <span class="muted">(${esc(scenario.file)})</span>` : ""),
    ],
    ["Runtime", esc(report.runtime ?? "unknown")],
    ["Seed", esc(report.seed ?? "?")],
    ["Outcome", `<span class="${o ? "good" : "bad"}">${outcome}</span>`],
  ];
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
  const behaviours = scenario
    ? scenario.participants.flatMap((p) =>
      describeMisbehaviour(p.misbehaviour, scenario.participants, p.id, report.costUnit?.solution)
    )
    : [];
  const notices = [...new Set([...(report.notices ?? []), ...(scenario?.notices ?? [])])];
  return `<header><h1>${esc(title)}</h1>` +
    (scenario?.description ? `<p class="lead">${esc(scenario.description)}</p>` : "") +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>` +
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

function chartsHtml(report: RunReport): string {
  const d = report.dispatch;
  if (!d) {
    return `<section><h2>Dispatch</h2><p class="nothing">This report carries no dispatch series.</p></section>`;
  }
  const s = d.series;
  if (!isDispatchSeries(s)) return resultHtml(report);
  return `<section><h2>Dispatch of the accepted block</h2>` +
    `<p class="muted">${esc(s.caseName)}, ${esc(s.hours)} one-hour periods. Bars are stacked by source ` +
    `(hover for values); storage is shown on the network side, conversion losses included.</p>` +
    electricityChart(s) + heatChart(s) +
    `<div class="pair">` +
    storageChart("chart-battery", "Battery energy over the day", "battery", s.battery, s.hours) +
    storageChart("chart-tank", "Heat-tank energy over the day", "heat tank", s.heatTank, s.hours) +
    `</div></section>`;
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
function resultHtml(report: RunReport): string {
  const lines = report.dispatch?.outcomeLines ?? [];
  const { round: _r, leader: _l, costUsd: _c, ...fields } = report.outcome ?? {};
  const tables = Object.entries(fields).map(([k, v]) => resultTable(k, v)).join("");
  if (lines.length === 0 && tables === "") {
    return `<section><h2>Result</h2><p class="nothing">This problem kind reports no result beyond its cost.</p></section>`;
  }
  return `<section><h2>Result of the accepted block</h2>` +
    lines.map((l) => `<p>${esc(l)}</p>`).join("") + tables + `</section>`;
}

/** The page's only script: counts drawn charts and records script errors, for tests. */
const PAGE_SCRIPT = `(function () {
  var errors = [];
  function save() {
    if (document.body) document.body.dataset.errors = errors.join(" | ");
  }
  window.onerror = function (message, source, line) {
    errors.push(String(message) + (line ? " (line " + line + ")" : ""));
    save();
  };
  window.addEventListener("load", function () {
    var charts = 0;
    document.querySelectorAll("svg.chart").forEach(function (svg) {
      if (svg.querySelector(".series rect, .series path, .series polyline")) charts++;
    });
    document.body.dataset.charts = String(charts);
    save();
  });
})();`;

const STYLE = `
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --ok: #1f7a45; --ok-bg: #e3f6ea;
  --bad: #b42318; --bad-bg: #fde8e6; --other: #8a5a00; --other-bg: #fff4d6; }
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
.chart-title { font-weight: bold; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .grid line { stroke: #e4e7eb; stroke-width: 1; }
svg.chart .grid line.zero { stroke: #52606d; }
svg.chart .time-axis line { stroke: #52606d; }
svg.chart .tick { font-size: ${TICK_FONT_PX}px; fill: #3e4c59; }
svg.chart .axis-title { font-size: ${AXIS_TITLE_FONT_PX}px; fill: #3e4c59; }
svg.chart .frame { fill: none; stroke: #cbd2d9; }
.legend { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px;
  font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 14px; }
.swatch.box { background: var(--c); border-radius: 2px; }
.swatch.line { height: 0; width: 22px; border-top: 3px solid var(--c); }
.swatch.dash { height: 0; width: 22px; border-top: 3px dashed var(--c); }
.caption { font-size: 13px; color: var(--muted); margin: 4px 0 0; }
.pair { display: flex; gap: 24px; flex-wrap: wrap; }
.pair .chart-box { flex: 1 1 480px; min-width: 0; }
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
 * time: inline CSS, inline SVG charts, a Content-Security-Policy that allows
 * no external resource). The page has a header (scenario, runtime, seed,
 * outcome, certified cost, gap and verdict when `report.dispatch` is set),
 * four charts of the dispatch (electricity and heat supply by source against
 * the load, battery and heat-tank energy; omitted without `report.dispatch`),
 * the delegate phase as in Table 3 of the article (a row per delegate, a
 * column per round; accepted messages green, rejected ones red with the
 * verdict; decision and blacklist after the round; dropped messages and
 * notes) and the normal-node phase. Every string of the report is escaped.
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
export function renderReportHtml(report: RunReport, options: ReportHtmlOptions = {}): string {
  const scenario = options.scenario;
  const name = report.scenario || scenario?.name || "(unnamed scenario)";
  const title = options.title ?? `PoSo run report: ${name}`;
  const unit = reportUnit(report, scenario);
  return `${pageHead(title)}
${headerHtml(report, scenario, title)}
${chartsHtml(report)}
<section><h2>Delegate phase: messages received in every round</h2>
<p class="key">A cell lists what the delegate received, <code>&lt;${
    esc(unit.symbol)
  }OBJ&gt;PATH</code>: OBJ the
${esc(unit.solution)}'s true ${esc(unit.quantity)}${
    esc(perPeriod(unit))
  }, rounded to a whole number, PATH the leader
then the relayers. <span class="msg ok">green</span> passed the
certificate check, <span class="msg bad">red</span> was rejected (the verdict follows; hover for details).
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
</section>
<footer>PoSo-TS run report. Self-contained: no script, style, font or image is loaded from anywhere.${
    options.generatedBy ? ` ${esc(options.generatedBy)}` : ""
  }</footer>
</main>
</body>
</html>
`;
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
  report: RunReport,
  file: string | URL,
  options: ReportHtmlOptions = {},
): Promise<void> {
  const path = typeof file === "string" ? file : fileURLToPath(file);
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, renderReportHtml(report, options));
}
