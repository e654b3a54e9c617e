/**
 * The report pages' charts, drawn by ECharts on the server as SVG (its server-side rendering:
 * `renderer: "svg", ssr: true`), so that the pages stay self-contained: the SVG is inlined, no
 * script or font is fetched when the page is viewed.
 *
 * A chart is described by a {@link ChartSpec} (its series, one value per x, with their units);
 * {@link chartFigure} turns it into the page's `<figure>`: the SVG, the PNG and CSV export buttons and
 * a caption. The data behind each chart is embedded in the page as CSV text ({@link chartCsv}, its
 * header naming every unit) in one JSON block ({@link chartDataScript}), which the page's script
 * downloads on demand.
 *
 * Colours come from a colour-blind-safe categorical palette ({@link PALETTE}, Tableau 10 without its
 * grey): series of one chart get distinct hues, and past the palette's length a bar gets a hatch
 * pattern and a line a dash pattern, so that no two series look alike in colour or in print.
 *
 * @module
 */
// The pre-built ES module: the package's source modules read process.env.NODE_ENV, which would need
// --allow-env; the built one does not. Its types are the package's own.
// @ts-types="echarts/types/dist/echarts.d.ts"
import * as echarts from "echarts/dist/echarts.esm.min.mjs";

/** Natural width of a chart's SVG, px (it scales to its container; at 700 px it shrinks by < 15 %). */
export const CHART_WIDTH_PX = 760;
/** Natural height of a chart's plot area with its axes, px (the legend adds its rows below). */
export const CHART_HEIGHT_PX = 340;
/** Font size of tick labels and legend entries, px at the natural width. */
export const CHART_FONT_PX = 13;
/** Fonts of every chart text (the page's own). */
const FONT_FAMILY = "'Liberation Sans', 'DejaVu Sans', Arial, Helvetica, sans-serif";
/** Height of one row of the legend, px. */
const LEGEND_ROW_PX = 22;
/** Width of a legend entry's symbol plus its gaps, px. */
const LEGEND_SYMBOL_PX = 44;
/** Mean width of one character of the legend at {@link CHART_FONT_PX}, px (Liberation Sans is ~0.55 em). */
const LEGEND_CHAR_PX = 7.3;
/** Space above the plot for the value axes' names, px. */
const TOP_PX = 36;
/** Space left and right of the plot for tick labels and axis names, px. */
const SIDE_PX = 16;
/** Space below the plot for the x tick labels and the x axis name, px. */
const X_AXIS_PX = 52;

/**
 * Colour-blind-safe categorical palette (Tableau 10 without its grey): blue, orange, red, teal,
 * green, yellow, purple, pink, brown.
 */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
] as const;
/** Neutral colours: a load line, the grid, storage (aggregated over hubs) and limits. */
export const NEUTRAL = {
  load: "#1f2933",
  grid: "#6b6b6b",
  storage: "#3d3d3d",
  storageCharge: "#a6a6a6",
  limit: "#8a8a8a",
} as const;
/**
 * Dash patterns of lines past the palette's length (one per pass over the palette), px on / px off;
 * the first pass is solid.
 */
export const DASHES: readonly (readonly number[] | undefined)[] = [undefined, [8, 4], [2, 3], [10, 3, 2, 3]];

/** Colour of series k of a chart's palette-coloured series, and its pattern past the palette. */
export function paletteEntry(k: number): { colour: string; pass: number } {
  return { colour: PALETTE[k % PALETTE.length], pass: Math.floor(k / PALETTE.length) };
}

/** One series: a value per x (NaN or a missing value: no point). */
export interface ChartSeries {
  /** Legend name (no unit). */
  name: string;
  /** Its unit, e.g. `kW` (the CSV header names it). */
  unit: string;
  /** Bars (stacked with the bars of the same `stack`) or a line. */
  kind: "bar" | "line";
  /** One value per x, in `unit`. */
  values: readonly number[];
  /** Fill or stroke colour. */
  colour: string;
  /** Bars: the stack it joins (bars below zero stack downwards on their own). */
  stack?: string;
  /** Bars: drawn hatched (diagonal stripes), to tell it apart in print. */
  hatch?: boolean;
  /** Lines: dash pattern, px on / px off (default solid). */
  dash?: readonly number[];
  /** Lines: stroke width, px (default 2). */
  width?: number;
  /** Lines: a step across each x band (a power held for the hour) rather than straight segments. */
  step?: boolean;
  /** Lines: a dot on every point. */
  dots?: boolean;
  /** The value axis it is drawn against (index into {@link ChartSpec.y}); default 0. */
  axis?: number;
}

/** A value axis. */
export interface ValueAxis {
  /** What it measures, without the unit: `electric power`. */
  name: string;
  /** Its unit: `kW`. */
  unit: string;
  /** Only whole ticks (a round number, a count). */
  integer?: boolean;
}

/** Below this largest magnitude, an axis labels its ticks in scientific notation (`1.2e-8`). */
const SCIENTIFIC_BELOW = 1e-3;

/** Tick label of a value axis whose values are all tiny: `0`, `1.2e-8`. */
const scientific = (v: number) => (v === 0 ? "0" : v.toExponential(1));

/** A chart: x values, one or two value axes, series. */
export interface ChartSpec {
  /** Element id of the SVG (unique in the page; letters, digits, `-`). */
  id: string;
  /** Title shown above the chart (the figure's caption title). */
  title: string;
  /** The x axis: its name and unit, and its values (categories: hours, days; or numbers: rounds). */
  x: { name: string; unit: string; values: readonly (number | string)[]; numeric?: boolean };
  /** The value axes: left, then (optional) right. */
  y: readonly ValueAxis[];
  /** The series, drawn in order (the legend lists them in order). */
  series: readonly ChartSeries[];
  /** Shown under the chart. */
  caption?: string;
  /** File name (without extension) of the PNG and CSV downloads; default the id. */
  file?: string;
}

/** `name (unit)`: how an axis or a CSV column names its unit. */
export const withUnit = (name: string, unit: string) => `${name} (${unit})`;

/** Rough number of legend rows for the chart's width (entries wrap as ECharts' plain legend does). */
function legendRows(spec: ChartSpec): number {
  const avail = CHART_WIDTH_PX - 2 * SIDE_PX;
  let rows = 1, used = 0;
  for (const s of spec.series) {
    const w = LEGEND_SYMBOL_PX + s.name.length * LEGEND_CHAR_PX;
    if (used > 0 && used + w > avail) {
      rows++;
      used = 0;
    }
    used += w;
  }
  return rows;
}

/** Decal (hatch pattern) of a bar series past the palette or asked for: diagonal stripes. */
const HATCH = {
  symbol: "rect",
  dashArrayX: [1, 0],
  dashArrayY: [3, 5],
  rotation: -Math.PI / 4,
  color: "rgba(255,255,255,0.75)",
};

/** ECharts' option for a chart (no animation: it is rendered once, on the server). */
export function chartOption(spec: ChartSpec): Record<string, unknown> {
  const rows = legendRows(spec);
  const text = { fontFamily: FONT_FAMILY, fontSize: CHART_FONT_PX, color: "#3e4c59" };
  const numeric = spec.x.numeric === true;
  return {
    animation: false,
    backgroundColor: "#ffffff",
    textStyle: text,
    grid: {
      left: SIDE_PX,
      right: SIDE_PX,
      top: TOP_PX,
      bottom: X_AXIS_PX + rows * LEGEND_ROW_PX,
      containLabel: true,
    },
    legend: {
      type: "plain",
      bottom: 4,
      left: SIDE_PX,
      right: SIDE_PX,
      itemGap: 14,
      textStyle: text,
      data: spec.series.map((s) => s.name),
    },
    xAxis: {
      type: numeric ? "value" : "category",
      name: withUnit(spec.x.name, spec.x.unit),
      nameLocation: "middle",
      nameGap: 30,
      nameTextStyle: text,
      ...(numeric ? { min: "dataMin", max: "dataMax" } : { data: spec.x.values.map(String) }),
      axisLabel: { ...text, hideOverlap: true },
      axisTick: numeric ? {} : { alignWithLabel: true },
      splitLine: { show: false },
    },
    yAxis: spec.y.map((a, k) => ({
      type: "value",
      name: withUnit(a.name, a.unit),
      nameTextStyle: { ...text, align: k === 0 ? "left" : "right" },
      position: k === 0 ? "left" : "right",
      scale: false,
      minInterval: a.integer ? 1 : undefined,
      axisLabel: { ...text, hideOverlap: true, ...(tinyAxis(spec, k) ? { formatter: scientific } : {}) },
      splitLine: { show: k === 0 },
      axisLine: { show: true },
    })),
    series: spec.series.map((s) => {
      const data = numeric
        ? s.values.map((v, i) => [spec.x.values[i], Number.isFinite(v) ? v : null])
        : s.values.map((v) => (Number.isFinite(v) ? v : null));
      const axis = { yAxisIndex: s.axis ?? 0 };
      if (s.kind === "bar") {
        return {
          type: "bar",
          name: s.name,
          data,
          ...axis,
          stack: s.stack,
          barCategoryGap: "22%",
          itemStyle: { color: s.colour, ...(s.hatch ? { decal: HATCH } : {}) },
          emphasis: { disabled: true },
        };
      }
      return {
        type: "line",
        name: s.name,
        data,
        ...axis,
        step: s.step ? "middle" : undefined,
        showSymbol: s.dots === true,
        symbolSize: 5,
        connectNulls: false,
        color: s.colour,
        lineStyle: { color: s.colour, width: s.width ?? 2, type: s.dash ? [...s.dash] : "solid" },
        itemStyle: { color: s.colour },
        emphasis: { disabled: true },
        z: 3,
      };
    }),
  };
}

/** Whether every value drawn against axis k is below {@link SCIENTIFIC_BELOW} in magnitude (and one is not 0). */
function tinyAxis(spec: ChartSpec, k: number): boolean {
  let max = 0;
  for (const s of spec.series) {
    if ((s.axis ?? 0) !== k) continue;
    for (const v of s.values) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  }
  return max > 0 && max < SCIENTIFIC_BELOW;
}

/** Height of a chart's SVG, px: the plot and its axes, plus the legend's rows. */
export function chartHeight(spec: ChartSpec): number {
  return CHART_HEIGHT_PX + legendRows(spec) * LEGEND_ROW_PX;
}

/**
 * The chart as an SVG element for inlining in an HTML page: ECharts' server-side rendering, with
 * the page's attributes (`class="chart"`, the id, a label and the series count), without the XML
 * namespaces (an inline SVG needs none, and the page names no URL) and the hover-only style, and with
 * the renderer's element ids made unique by the chart's id (so two pages of one process are equal).
 */
export function chartSvg(spec: ChartSpec): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(spec.id)) throw new Error(`chart id ${JSON.stringify(spec.id)}`);
  const height = chartHeight(spec);
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: CHART_WIDTH_PX, height });
  let svg: string;
  try {
    // deno-lint-ignore no-explicit-any
    chart.setOption(chartOption(spec) as any);
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose(); // else the process keeps running
  }
  return svg
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/g, "")
    .replace(/\s*class="zr\d+-cls-\d+"/g, "")
    // What only interaction uses (hover styles, data indices), and the font named once for the chart.
    .replace(/ (?:ecmeta_data_index|ecmeta_silent)="[^"]*"| pointer-events="visible"/g, "")
    .replace(/ ecmeta_series_index="\d+" ecmeta_ssr_type="chart"/g, "") // kept on the legend's entries
    .replace(/font-family:[^;"]*;/g, "")
    .replace(/\bzr\d+-/g, `${spec.id}-`)
    .replace(
      /^<svg [^>]*viewBox="([^"]*)"[^>]*>/,
      (_m, box: string) =>
        `<svg class="chart" id="${spec.id}" viewBox="${box}" role="img" aria-label="${
          escAttr(spec.title)
        }" data-series="${spec.series.length}" data-units="${
          escAttr([spec.x.unit, ...spec.y.map((a) => a.unit)].join(";"))
        }"><style>#${spec.id} text { font-family: ${FONT_FAMILY}; }</style>`,
    )
    // Coordinates to a tenth of a px (ECharts writes four decimals): a much smaller page, the same look.
    .replace(
      /\b(d|transform|x|y|width|height)="([^"]*)"/g,
      (_m, attr: string, value: string) => `${attr}="${value.replace(/(\d+\.\d)\d+/g, "$1")}"`,
    )
    .replace(/\n/g, "");
}

/** Escapes text for a quoted HTML attribute or element content. */
function escAttr(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** Most significant digits of a value in a chart's CSV (the data's own precision is far below). */
const CSV_DIGITS = 10;

/** A CSV field: quoted when it holds a comma, quote or line break; a formula-like text defused. */
function csvField(v: string | number): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(Number(v.toPrecision(CSV_DIGITS))) : "";
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The chart's data as CSV: a header naming each column's unit (`hour (h),Grid import (kW),…`), then a
 * row per x value.
 */
export function chartCsv(spec: ChartSpec): string {
  const header = [withUnit(spec.x.name, spec.x.unit), ...spec.series.map((s) => withUnit(s.name, s.unit))];
  const rows = spec.x.values.map((x, i) => [x, ...spec.series.map((s) => s.values[i] ?? NaN)]);
  return [header, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** What the page embeds for a chart's export: the download's file name and the CSV text. */
export interface ChartData {
  /** File name without extension. */
  file: string;
  /** {@link chartCsv}. */
  csv: string;
}

/**
 * The chart's `<figure>`: title, the SVG, the export buttons (PNG of the SVG, CSV of its data; the
 * page's script does both, nothing is fetched) and the caption. `data` collects the chart's CSV
 * under its id for {@link chartDataScript}.
 */
export function chartFigure(spec: ChartSpec, data: Map<string, ChartData>, className = ""): string {
  data.set(spec.id, { file: spec.file ?? spec.id, csv: chartCsv(spec) });
  return `<figure class="chart-box${className ? ` ${className}` : ""}">` +
    `<figcaption class="chart-title">${escAttr(spec.title)}<span class="export">` +
    `<button type="button" data-export="png" data-chart="${spec.id}">PNG</button>` +
    `<button type="button" data-export="csv" data-chart="${spec.id}">CSV</button></span></figcaption>` +
    chartSvg(spec) +
    (spec.caption ? `<p class="caption">${escAttr(spec.caption)}</p>` : "") +
    `</figure>`;
}

/** Id of the JSON block holding every chart's data. */
export const CHART_DATA_ID = "chart-data";

/**
 * The page's chart data as an inert JSON block (`<script type="application/json">`, never run):
 * chart id → {@link ChartData}. `<` is escaped so no text of the data can close the block.
 */
export function chartDataScript(data: Map<string, ChartData>): string {
  const json = JSON.stringify(Object.fromEntries(data)).replaceAll("<", "\\u003c");
  return `<script type="application/json" id="${CHART_DATA_ID}">${json}</script>`;
}

/**
 * The page script's part that exports charts: a click on a `data-export` button downloads the chart
 * as PNG (the inline SVG drawn into a canvas at twice its size, on white) or its data as CSV (from
 * the JSON block), each handed to the browser as a local Blob. Plain ES5, no network: the SVG becomes
 * a `data:` image (the page's policy allows `img-src data:`).
 */
export const EXPORT_SCRIPT = `
  function download(name, blob) {
    var a = document.createElement("a"), url = URL.createObjectURL(blob);
    a.download = name;
    a.href = url;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 0);
  }
  function chartData() {
    var el = document.getElementById(${JSON.stringify(CHART_DATA_ID)});
    return el ? JSON.parse(el.textContent) : {};
  }
  function pngOf(svg, done) {
    var box = svg.viewBox.baseVal, scale = 2;
    var text = new XMLSerializer().serializeToString(svg);
    var img = new Image();
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = box.width * scale;
      canvas.height = box.height * scale;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(done, "image/png");
    };
    img.onerror = function () { throw new Error("chart " + svg.id + ": its SVG did not load as an image"); };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-export]") : null;
    if (!button) return;
    var id = button.getAttribute("data-chart"), entry = chartData()[id];
    var name = entry ? entry.file : id;
    if (button.getAttribute("data-export") === "png") {
      var svg = document.getElementById(id);
      if (svg) pngOf(svg, function (png) { download(name + ".png", png); });
    } else if (entry) {
      download(name + ".csv", new Blob([entry.csv], { type: "text/csv;charset=utf-8" }));
    }
  });
`;
