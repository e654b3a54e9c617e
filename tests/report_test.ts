/**
 * The HTML run report and the hourly dispatch series behind its charts:
 * the series balance hour by hour as the model's rows do, the page loads
 * nothing from the network and escapes every string of the report, and a
 * headless Chromium (Debian's `/usr/bin/chromium`, which `.ci/run` installs)
 * draws all four charts without a script error. Without a Chromium the run may
 * start, the browser test is ignored and its name says why (tests/chromium.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { simConfigFor, simulate } from "../actors/simulator.ts";
import { renderReportHtml, writeReport } from "../cli/report.ts";
import { chartCsv, chartFigure, type ChartSpec } from "../cli/charts.ts";
import type { RunReport } from "../consensus/report.ts";
import { FEASIBILITY_TOLERANCE } from "../lp/certificate.ts";
import type { DispatchModel } from "../problems/ies-dispatch/dispatch.ts";
import { type DispatchSummary, summariseDispatch } from "../problems/ies-dispatch/summary.ts";
import { type DispatchSeries, dispatchSeries } from "../problems/ies-dispatch/series.ts";
import { costliestImportHour } from "../problems/ies-dispatch/variants.ts";
import type { ProposalVariant } from "../consensus/types.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { runScenarioFile } from "../cli/run.ts";
import type { MarketOutcome } from "../problems/market/verifier.ts";
import { findChromium } from "./chromium.ts";
import { consensusFixture } from "./consensus_fixture.ts";
import { cli, withTmpDir } from "./helpers.ts";

/** Where the browser test writes, inside the suite's only writable folder. */
const OUT_DIR = new URL("../out/test-tmp/report/", import.meta.url);
const HTML_FILE = new URL("report.html", OUT_DIR);
const PNG_FILE = new URL("report.png", OUT_DIR);
const PROFILE_DIR = new URL("chromium-profile/", OUT_DIR);
/** The multi-day page rendered at the narrowest width the charts are made for, and its screenshot. */
const NARROW_HTML_FILE = new URL("report-days.html", OUT_DIR);
const NARROW_PNG_FILE = new URL("report-days-700.png", OUT_DIR);
/** The narrowest browser window the charts must stay readable in, px. */
const NARROW_WIDTH_PX = 700;
/** Height of the narrow window, px (the header, the charts across days and the first hourly charts). */
const NARROW_HEIGHT_PX = 3000;
/** Smallest chart text readable on screen and in print, px as rendered (13 px at the natural width). */
const MIN_CHART_FONT_PX = 10;
/**
 * Virtual time the browser runs the page's asynchronous work for before dumping the DOM, ms (drawing
 * a chart's PNG takes a few ms; virtual time does not wait in real time when nothing is pending).
 */
const VIRTUAL_TIME_BUDGET_MS = 5_000;
/**
 * A chart's PNG smaller than this, bytes, is blank: a white 1520 × 800 PNG is a few kilobytes, the
 * electricity chart's several tens.
 */
const MIN_CHART_PNG_BYTES = 20_000;
/** Browser window of the screenshot, px. */
const WINDOW_WIDTH_PX = 1280;
const WINDOW_HEIGHT_PX = 2400;
/**
 * A screenshot smaller than this, bytes, is a blank or broken page: a white 1280 × 2400 PNG
 * compresses to a few kilobytes, the report with its charts to several hundred.
 */
const MIN_SCREENSHOT_BYTES = 50_000;
/** Charts the report draws when it has a dispatch: electricity, heat, battery, heat tank. */
const EXPECTED_CHARTS = 4;
/**
 * Kills a browser that hangs, ms. A safety net only, never what a test asserts on: Chromium
 * renders the page in about two seconds here.
 */
const BROWSER_KILL_AFTER_MS = 60_000;
/** The hostile string of the escaping test. */
const HOSTILE = "<script>alert(1)</script>";

/** Byte offset of the width and height in a PNG file (after the 8-byte signature and IHDR's length and type). */
const PNG_SIZE_OFFSET = 16;
/** A PNG file starts with 0x89 then these three letters. */
const PNG_MAGIC = "PNG";

const path = (u: URL) => decodeURIComponent(u.pathname);

/** Script elements the browser runs (the chart data's `application/json` block is inert). */
const executableScripts = (html: string) =>
  (html.match(/<script\b[^>]*>/g) ?? []).filter((t) => !/type="application\/json"/.test(t)).length;

/** The report's dispatch fields for a variant of the proposal book, as the runtime fills them. */
async function dispatchOf(variant: ProposalVariant): Promise<DispatchSummary> {
  const { model, book } = await consensusFixture();
  return summariseDispatch(model, book[variant].certificate);
}

/** Σ over rows whose name matches `pattern` (hour in group 1, 1-based) of A x and of the row's bound, by hour. */
function rowSums(
  model: DispatchModel,
  x: ArrayLike<number>,
  pattern: RegExp,
): { ax: number[]; rhs: number[] } {
  const { lp } = model;
  const hours = model.layout.hours;
  const ax = new Array<number>(hours).fill(0), rhs = new Array<number>(hours).fill(0);
  lp.rowNames.forEach((name, i) => {
    const m = pattern.exec(name);
    if (!m) return;
    const t = Number(m[1]) - 1;
    for (let k = lp.rowStart[i]; k < lp.rowStart[i + 1]; k++) ax[t] += lp.values[k] * x[lp.colIndex[k]];
    assert.equal(lp.rowLower[i], lp.rowUpper[i], `${name} is an equality row`);
    rhs[t] += lp.rowLower[i];
  });
  return { ax, rhs };
}

const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);
const supplied = (s: DispatchSeries["electricity"], t: number) =>
  sum(s.supply.map((p) => p.kw[t])) - sum(s.charge.map((p) => p.kw[t]));

/** The Scenario III trace (round 1: C's selfish dispatch rejected by E, F, G, taken unchecked by D). */
function scenarioIIIReport(): RunReport {
  return {
    scenario: "Scenario III",
    runtime: "simulator",
    seed: 3,
    notices: [],
    rounds: [
      {
        round: 1,
        leader: "C",
        received: { C: ["<$904>C"], D: ["<$904>C"], E: ["<$904>CD"], F: ["<$904>CD"], G: ["<$904>CD"] },
        decision: { C: "blacklist", D: "commit", E: "blacklist", F: "blacklist", G: "blacklist" },
        rejected: {
          C: ["<$904>C suboptimal"],
          D: [],
          E: ["<$904>CD suboptimal"],
          F: ["<$904>CD suboptimal"],
          G: ["<$904>CD suboptimal"],
        },
        blacklist: { C: ["C"], D: [], E: ["C"], F: ["C"], G: ["C"] },
        dropped: [{ to: "G", reason: "late: arrived after the round-1 timeout" }],
        notes: ["D took <$904>C unchecked"],
      },
      {
        round: 2,
        leader: "E",
        received: { C: [], D: [], E: ["<$744>E"], F: ["<$744>E", "<$744>EG"], G: ["<$744>E"] },
        decision: { C: "blacklist", D: "none", E: "commit", F: "commit", G: "commit" },
        rejected: { C: [], D: [], E: [], F: [], G: [] },
        blacklist: { C: ["C", "E"], D: [], E: ["C"], F: ["C"], G: ["C"] },
        dropped: [],
        notes: [],
      },
    ],
    normal: {
      received: { A: ["<$904>D", "<$744>E", "<$744>F", "<$744>G"], B: ["<$744>E"] },
      accepted: { A: 744, B: null },
    },
    outcome: { round: 2, leader: "E", costUsd: 744 },
  };
}

Deno.test("dispatch series: every hour's supply meets load, losses and charging as the model's rows do", async () => {
  const { model, book } = await consensusFixture();
  for (const variant of ["optimal", "selfish", "feasible"] as const) {
    const x = book[variant].certificate.x;
    const s = dispatchSeries(model, x);
    assert.equal(s.hours, model.layout.hours);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s, "plain JSON-serialisable");
    const elecRows = rowSums(model, x, /^bus\d+\.p\[t(\d+)\]$/);
    const heatRows = rowSums(model, x, /^heat\d+\.balance\[t(\d+)\]$/);
    for (let t = 0; t < s.hours; t++) {
      const at = `${variant}, hour ${t + 1}`;
      for (const b of [s.electricity, s.heat]) {
        assert.ok(
          Math.abs(b.residualKw[t]) <= b.toleranceKw[t],
          `${at}: ${b.carrier} residual ${b.residualKw[t]} kW beyond ${b.toleranceKw[t]} kW`,
        );
        for (const p of [...b.supply, ...b.charge]) assert.ok(p.kw[t] >= 0, `${at}: ${p.label} ${p.kw[t]}`);
      }
      // The model's own rows, summed over the network: branch and pipe flows cancel, so A x is the
      // supply less the charging, and the right-hand sides are the load (plus the pipe losses).
      const elecTol = s.electricity.toleranceKw[t], heatTol = s.heat.toleranceKw[t];
      assert.ok(Math.abs(elecRows.ax[t] - supplied(s.electricity, t)) <= elecTol, `${at}: electric A x`);
      assert.ok(Math.abs(elecRows.rhs[t] - s.electricity.loadKw[t]) <= elecTol, `${at}: electric load`);
      assert.equal(s.electricity.lossKw[t], 0, "the linearised electric network is lossless");
      assert.ok(Math.abs(heatRows.ax[t] - supplied(s.heat, t)) <= heatTol, `${at}: heat A x`);
      assert.ok(
        Math.abs(heatRows.rhs[t] - s.heat.loadKw[t] - s.heat.lossKw[t]) <= heatTol,
        `${at}: heat load + pipe losses`,
      );
    }
    for (const st of [...s.battery, ...s.heatTank]) {
      const scale = FEASIBILITY_TOLERANCE * (1 + st.capacityKwh);
      for (const e of st.kwh) {
        assert.ok(e >= st.minKwh - scale && e <= st.capacityKwh + scale, `${st.label} ${e}`);
      }
    }
  }
});

Deno.test("dispatch series: the corrupt dispatch's deleted import shows as that hour's electric shortfall", async () => {
  const { model, book } = await consensusFixture();
  const optimal = book.optimal;
  const hour = costliestImportHour(model, optimal.certificate.x);
  const deletedKw = optimal.certificate.x[model.layout.gridImportKw[hour]];
  const s = dispatchSeries(model, book.corrupt.certificate.x);
  const b = s.electricity;
  assert.ok(
    Math.abs(b.residualKw[hour] + deletedKw) <= b.toleranceKw[hour],
    `hour ${hour + 1}: ${b.residualKw[hour]}`,
  );
  b.residualKw.forEach((r, t) => t !== hour && assert.ok(Math.abs(r) <= b.toleranceKw[t], `hour ${t + 1}`));
  assert.throws(() => dispatchSeries(model, [1, 2, 3]), /x has 3 values/);
});

Deno.test("report HTML: self-contained, nothing fetched from the network", async () => {
  const html = renderReportHtml({ ...scenarioIIIReport(), dispatch: await dispatchOf("optimal") });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.doesNotMatch(html, /https?:\/\//, "no http:// or https:// anywhere");
  assert.doesNotMatch(
    html,
    /\s(?:src|href|srcset|action|formaction|poster|data)\s*=/i,
    "no resource attribute",
  );
  // CSS (style elements and attributes) imports nothing and names no url(); an attribute's url() (an
  // SVG fill pattern, a clip path) points inside the page. (The script's URL.createObjectURL is no CSS.)
  const css = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>|\sstyle="([^"]*)"/g)].map((m) =>
    m[1] ?? m[2]
  );
  assert.ok(css.length > 0);
  for (const c of css) assert.doesNotMatch(c, /@import|url\(/i, "no CSS import or url()");
  const attrUrls = [...html.matchAll(/="[^"]*?url\(\s*['"]?([^)'"]*)/gi)].map((m) => m[1]);
  assert.ok(attrUrls.length > 0, "the hatched bars' patterns");
  for (const u of attrUrls) assert.ok(u.startsWith("#"), `url(${u}) leaves the page`);
  assert.doesNotMatch(html, /<(?:link|iframe|object|embed|img|image|use|foreignObject)\b/i);
  assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;/);
  assert.equal(executableScripts(html), 1, "one inline script (export, day picker, test hooks)");
  assert.equal(html.match(/<svg class="chart"/g)?.length, EXPECTED_CHARTS);
});

Deno.test("report HTML: the message flow as Table 3, accepted and rejected cells told apart", async () => {
  const html = renderReportHtml({ ...scenarioIIIReport(), dispatch: await dispatchOf("optimal") });
  // Header: outcome, certified cost and gap.
  assert.match(html, /round 2, leader E, \$744 per day, accepted by 1 of 2 normal nodes/);
  assert.match(html, /<dt>Certified cost<\/dt><dd>\$743\.91 per day<\/dd>/);
  assert.match(html, /<dt>Certificate<\/dt><dd>accepted: gap/);
  // Columns are rounds with their leaders, rows delegates.
  assert.match(html, /<th scope="col">Round 1<span class="sub">leader C<\/span><\/th>/);
  assert.match(html, /<th scope="col">Round 2<span class="sub">leader E<\/span><\/th>/);
  for (const d of ["C", "D", "E", "F", "G"]) assert.match(html, new RegExp(`<tr><th scope="row">${d}</th>`));
  // Rejected: red with the verdict; accepted: green.
  assert.match(
    html,
    /<li class="msg bad" title="E rejected &lt;\$904&gt;CD: suboptimal">&lt;\$904&gt;CD<span class="why">✗ suboptimal<\/span><\/li>/,
  );
  // D colludes with C: its acceptance of C's cell was never checked, and the cell says so (not green).
  assert.match(
    html,
    /<li class="msg unchecked" title="D took &lt;\$904&gt;C unchecked: [^"]*">&lt;\$904&gt;C<span class="why">⚠ unchecked<\/span><\/li>/,
  );
  assert.doesNotMatch(html, /<li class="msg ok" title="D accepted &lt;\$904&gt;C/);
  assert.match(
    html,
    /<span class="msg unchecked">[^<]+<\/span> was taken unchecked/,
    "the key names the colour",
  );
  assert.match(html, /<li class="msg ok" title="F accepted &lt;\$744&gt;EG: [^"]*">&lt;\$744&gt;EG<\/li>/);
  // Decisions, blacklists, dropped messages and notes.
  assert.match(html, /→ blacklist C<\/p><p class="blacklist-after">blacklist after: C<\/p>/);
  assert.match(html, /→ commit<\/p><p class="blacklist-after">blacklist after: none<\/p>/);
  assert.match(html, /— took no part/);
  assert.match(html, /blacklist after: C, E/);
  assert.match(html, /<li>to G: late: arrived after the round-1 timeout<\/li>/);
  assert.match(html, /<li>D took &lt;\$904&gt;C unchecked<\/li>/);
  // Normal-node phase: what each received and accepted.
  assert.match(
    html,
    /<li class="msg other" title="A received &lt;\$904&gt;D: not the accepted \$744 dispatch">/,
  );
  assert.match(html, /<td class="accepted">\$744<\/td>/);
  assert.match(html, /<th scope="row">B<\/th><td>.*?<\/td><td class="accepted none">none<\/td>/);
});

Deno.test("report HTML: copies dropped for a bad signature name the signer and who signed the bad copy", async () => {
  const { env, book } = await consensusFixture();
  const scenario = await loadScenarioFile("scenarios/scenario2.yaml");
  const { report } = await simulate(env, book, simConfigFor(scenario, { seed: 1 }));
  const html = renderReportHtml(report, { scenario });
  const row = html.slice(html.indexOf("Signature failures"), html.indexOf('<th scope="row">Notes</th>'));
  assert.match(row, /to D: C's signature failed; <strong>F<\/strong> signed the bad copy/);
  assert.ok(!/<strong>[CDEG]<\/strong> signed/.test(row), "only F is blamed");
});

Deno.test("report HTML: every string of the report is escaped", () => {
  const evil = '"><img src=x onerror=alert(2)>';
  const report: RunReport = {
    ...scenarioIIIReport(),
    scenario: HOSTILE,
    notices: [HOSTILE],
    rounds: [{
      round: 1,
      leader: evil,
      received: { [evil]: [HOSTILE] },
      decision: { [evil]: "blacklist" },
      rejected: { [evil]: [`${HOSTILE} ${HOSTILE}`] },
      blacklist: { [evil]: [evil] },
      dropped: [{ to: evil, reason: HOSTILE }],
      notes: [HOSTILE],
    }],
    normal: { received: { [evil]: [HOSTILE] }, accepted: { [evil]: null } },
    outcome: { round: 1, leader: evil, costUsd: 1 },
  };
  const html = renderReportHtml(report, { generatedBy: HOSTILE });
  assert.ok(!html.includes(HOSTILE), "the hostile script appears raw");
  assert.ok(!html.includes("<img"), "an injected element appears raw");
  assert.ok(!html.includes("onerror=alert(2)>"), "an attribute was broken out of");
  assert.ok(!/="[^"]*"><img/.test(html), "an attribute was closed by the report's quote");
  assert.equal(executableScripts(html), 1);
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(html.includes(`<title>PoSo run report: &lt;script&gt;alert(1)&lt;/script&gt;</title>`));
  assert.ok(html.includes("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
});

// ---------------------------------------------------------------------------
// Charts (ECharts' SVG), their export data, the pages across days

/** Each chart's export data embedded in a page: chart id → file name and CSV text. */
function chartData(html: string): Record<string, { file: string; csv: string }> {
  const m = /<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(html);
  assert.ok(m, "no chart data in the page");
  return JSON.parse(m[1]);
}

/** The fields of one CSV line (RFC 4180 quoting; no line breaks inside fields here). */
function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
    m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]
  );
}

/** A chart's CSV as header and rows. */
function csvOf(html: string, id: string): { header: string[]; rows: string[][] } {
  const data = chartData(html)[id];
  assert.ok(data, `no data for ${id}`);
  assert.ok(data.csv.endsWith("\r\n"));
  const [header, ...rows] = data.csv.trimEnd().split("\r\n").map(csvFields);
  return { header, rows };
}

/** The SVG of chart `id`. */
function svgOf(html: string, id: string): string {
  const start = html.indexOf(`<svg class="chart" id="${id}"`);
  assert.ok(start >= 0, `no chart ${id}`);
  return html.slice(start, html.indexOf("</svg>", start) + "</svg>".length);
}

/** Series in the legend of an ECharts SVG (each entry names its series index). */
function legendEntries(svg: string): number {
  return new Set([...svg.matchAll(/ecmeta_series_index="(\d+)" ecmeta_ssr_type="legend"/g)].map((m) => m[1]))
    .size;
}

/** Legend entries of bars in an ECharts SVG: series index → the colour of its symbol. */
function legendColours(svg: string): Map<number, string> {
  const out = new Map<number, string>();
  for (
    const m of svg.matchAll(/fill="(#[0-9a-f]{6})" ecmeta_series_index="(\d+)" ecmeta_ssr_type="legend"/g)
  ) {
    if (!out.has(Number(m[2]))) out.set(Number(m[2]), m[1]);
  }
  return out;
}

/** Hue of a `#rrggbb` colour, degrees. */
function hue(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b), min = Math.min(r, g, b), c = max - min;
  if (c === 0) return 0;
  const h = max === r ? ((g - b) / c) % 6 : max === g ? (b - r) / c + 2 : (r - g) / c + 4;
  return (h * 60 + 360) % 360;
}

/** Smallest arc holding every hue, degrees (shades of one hue: near 0). */
function hueSpread(hues: number[]): number {
  const sorted = [...hues].sort((a, b) => a - b);
  let widestGap = 360 - sorted[sorted.length - 1] + sorted[0];
  for (let i = 1; i < sorted.length; i++) widestGap = Math.max(widestGap, sorted[i] - sorted[i - 1]);
  return 360 - widestGap;
}

const nonZero = (v: number[]) => v.some((x) => Math.abs(x) > 1e-6);

Deno.test("report charts: ECharts SVG with a series per source and units on every axis, a colour per boiler, each chart's data as CSV", async () => {
  const dispatch = await dispatchOf("optimal");
  const html = renderReportHtml({ ...scenarioIIIReport(), dispatch });
  const s = dispatch.series as DispatchSeries;
  const expected: Record<string, { axes: string[]; series: number }> = {
    "chart-electricity": {
      axes: ["electric power (kW)", "hour of the day (h)"],
      // Sources with output, the battery discharge and charging (summed over hubs), load and demand lines.
      series: s.electricity.supply.filter((p) => !p.key.includes("battery") && nonZero(p.kw)).length + 2 + 2,
    },
    "chart-heat": {
      axes: ["heat power (kW)", "hour of the day (h)"],
      series: s.heat.supply.filter((p) => !p.key.includes("tank") && nonZero(p.kw)).length + 2 + 2,
    },
    // One line per distinct curve (identical hubs share one) plus the capacity and minimum lines.
    "chart-battery": {
      axes: ["stored energy (kWh)", "hour of the day (h)"],
      series: new Set(s.battery.map((b) => b.kwh.map((v) => v.toFixed(1)).join())).size + 2,
    },
    "chart-tank": {
      axes: ["stored energy (kWh)", "hour of the day (h)"],
      series: new Set(s.heatTank.map((b) => b.kwh.map((v) => v.toFixed(1)).join())).size + 2,
    },
  };
  for (const [id, want] of Object.entries(expected)) {
    const svg = svgOf(html, id);
    assert.match(svg, /^<svg class="chart" id="[^"]+" viewBox="0 0 \d+ \d+" role="img"/);
    assert.ok(!/xmlns|https?:/.test(svg), `${id}: no namespace URL inline`);
    for (const axis of want.axes) assert.ok(svg.includes(`>${axis}</text>`), `${id}: axis ${axis}`);
    assert.equal(legendEntries(svg), want.series, `${id}: legend entries`);
    const { header, rows } = csvOf(html, id);
    assert.equal(header.length, want.series + 1, `${id}: CSV columns`);
    assert.equal(header[0], "hour of the day (h)");
    const unit = id.includes("electricity") || id.includes("heat") ? "kW" : "kWh";
    header.slice(1).forEach((h) => assert.ok(h.endsWith(` (${unit})`), `${id}: ${h} has no unit`));
    assert.equal(rows.length, s.hours);
    for (const kind of ["png", "csv"]) {
      assert.ok(
        html.includes(`<button type="button" data-export="${kind}" data-chart="${id}">`),
        `${id} ${kind}`,
      );
    }
  }
  // The CSV holds the dispatch's own values (10 significant digits), hour by hour.
  const elec = csvOf(html, "chart-electricity");
  const grid = s.electricity.supply.find((p) => p.key === "grid")!;
  const col = (name: string) => elec.header.indexOf(`${name} (kW)`);
  assert.ok(col("Grid import") > 0 && col("Electric load") > 0);
  elec.rows.forEach((r, t) => {
    assert.equal(Number(r[0]), t);
    assert.ok(Math.abs(Number(r[col("Grid import")]) - grid.kw[t]) <= 1e-6 * (1 + grid.kw[t]), `hour ${t}`);
    assert.ok(
      Math.abs(Number(r[col("Electric load")]) - s.electricity.loadKw[t]) <= 1e-6 * s.electricity.loadKw[t],
    );
  });
  const charging = elec.header.findIndex((h) => h.startsWith("Battery charging"));
  assert.ok(elec.rows.every((r) => Number(r[charging]) <= 0), "charging is drawn below zero");

  // Every gas boiler with output has its own colour, and they are hues apart, not shades of one hue.
  const heat = svgOf(html, "chart-heat");
  const names = csvOf(html, "chart-heat").header.slice(1);
  const colours = legendColours(heat);
  const boilers = names.flatMap((n, k) => (n.includes("gas boiler") ? [colours.get(k)!] : []));
  assert.equal(
    boilers.length,
    s.heat.supply.filter((p) => p.key.endsWith(".boiler") && nonZero(p.kw)).length,
  );
  assert.ok(boilers.length >= 7, `${boilers.length} boilers drawn`);
  assert.equal(new Set(boilers).size, boilers.length, `boiler colours ${boilers.join(" ")}`);
  assert.ok(hueSpread(boilers.map(hue)) >= 120, `boiler hues ${boilers.map(hue).map(Math.round).join(" ")}`);
  // A hub keeps its colour across charts: hub 2's CHP (electricity) and gas boiler (heat).
  const elecColours = legendColours(svgOf(html, "chart-electricity"));
  assert.equal(
    elecColours.get(elec.header.indexOf("Hub 2 CHP (kW)") - 1),
    colours.get(names.indexOf("Hub 2 gas boiler (kW)")),
  );
});

Deno.test("report of a market run: charts of each community's purchases (MW) and bill, their CSV", async () => {
  const { scenario, reports: [report] } = await runScenarioFile("scenarios/market12.yaml", {
    simulate: true,
  });
  const html = renderReportHtml(report, { scenario });
  const outcome = report.outcome as unknown as MarketOutcome;
  const purchases = csvOf(html, "chart-purchases");
  assert.deepEqual(purchases.header, ["community (id)", "Gas (MW)", "Electricity (MW)", "Heat (MW)"]);
  assert.deepEqual(purchases.rows.map((r) => Number(r[0])), outcome.communities.map((c) => c.id));
  purchases.rows.forEach((r, k) => {
    const c = outcome.communities[k];
    assert.ok(
      Math.abs(Number(r[2]) - c.electricityMw) <= 1e-6 * (1 + Math.abs(c.electricityMw)),
      `community ${c.id}`,
    );
  });
  const bills = csvOf(html, "chart-bills");
  assert.deepEqual(bills.header, ["community (id)", "Bill (CNY/hour)"]);
  assert.ok(bills.rows.every((r, k) => Math.abs(Number(r[1]) - outcome.communities[k].billCny) <= 1e-3));
  const svg = svgOf(html, "chart-purchases");
  assert.ok(svg.includes(">power bought (MW)</text>") && svg.includes(">community (id)</text>"));
  assert.equal(legendEntries(svg), 3);
  assert.equal(new Set(legendColours(svg).values()).size, 3, "gas, electricity and heat in three colours");
});

Deno.test("charts: names reach the SVG escaped and the CSV quoted, a formula-like name defused, a bad id refused", () => {
  const spec: ChartSpec = {
    id: "chart-x",
    title: HOSTILE,
    x: { name: "hour", unit: "h", values: [0, 1] },
    y: [{ name: "power", unit: "kW" }],
    series: [
      { name: HOSTILE, unit: "kW", kind: "bar", values: [1, 2], colour: "#000000" },
      { name: 'a "quoted", name', unit: "kW", kind: "line", values: [3, NaN], colour: "#111111" },
      { name: "=HYPERLINK()", unit: "kW", kind: "line", values: [1 / 3, 2], colour: "#222222" },
    ],
  };
  const figure = chartFigure(spec, new Map());
  assert.ok(!figure.includes(HOSTILE) && figure.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.equal(
    chartCsv(spec),
    'hour (h),<script>alert(1)</script> (kW),"a ""quoted"", name (kW)",\'=HYPERLINK() (kW)\r\n' +
      "0,1,3,0.3333333333\r\n1,2,,2\r\n",
  );
  assert.throws(() => chartFigure({ ...spec, id: 'x" onload="alert(1)' }, new Map()), /chart id/);
});

/** A simulated run of `file` with the optimal dispatch's series, as `day` of a multi-day run. */
async function simulatedDay(file: string, height: number): Promise<RunReport> {
  const { env, book } = await consensusFixture();
  const scenario = await loadScenarioFile(file);
  const { report } = await simulate(env, book, simConfigFor(scenario));
  return {
    ...report,
    dispatch: await dispatchOf("optimal"),
    day: { height, loadFactor: 1, blocksWritten: height, blockBytes: 1 },
  };
}

Deno.test("report across days: a chart of cost, gap and deciding round per day, a day picker, every day's charts and flow", async () => {
  const scenario = await loadScenarioFile("scenarios/scenario3.yaml");
  const colluded = await simulatedDay("scenarios/scenario3.yaml", 4);
  const honest = await simulatedDay("scenarios/scenario1.yaml", 5);
  const empty: RunReport = {
    ...honest,
    day: { ...honest.day!, height: 6 },
    outcome: null,
    dispatch: undefined,
  };
  const days = [colluded, honest, empty];
  const html = renderReportHtml(days, { scenario });

  // The chart across days: cost ($/day) and the deciding round (round), the gap ($/day); no block: blank.
  const cost = csvOf(html, "chart-days-cost");
  assert.deepEqual(cost.header, ["day (block height)", "Certified cost ($/day)", "Deciding round (round)"]);
  assert.deepEqual(cost.rows.map((r) => r[0]), ["4", "5", "6"]);
  assert.ok(Math.abs(Number(cost.rows[0][1]) - colluded.dispatch!.costUsd) <= 1e-6);
  assert.deepEqual(cost.rows.map((r) => r[2]), [
    String(colluded.outcome!.round),
    String(honest.outcome!.round),
    "",
  ]);
  assert.equal(cost.rows[2][1], "");
  assert.deepEqual(csvOf(html, "chart-days-gap").header, ["day (block height)", "Optimality gap ($/day)"]);
  const daysSvg = svgOf(html, "chart-days-cost");
  for (const axis of ["certified cost ($/day)", "deciding round (round)", "day (block height)"]) {
    assert.ok(daysSvg.includes(`>${axis}</text>`), axis);
  }

  // The picker: an option per day, the last selected; a section per day, only the last shown.
  const picker = /<select id="day-picker">(.*?)<\/select>/.exec(html);
  assert.ok(picker);
  assert.deepEqual([...picker[1].matchAll(/<option value="(\d+)"/g)].map((m) => m[1]), ["4", "5", "6"]);
  assert.match(picker[1], /<option value="6" selected>Day 6: no block<\/option>/);
  assert.deepEqual(
    [...html.matchAll(/<div class="day" data-day="(\d+)"( hidden)?>/g)].map((m) => m[1] + (m[2] ?? "")),
    [
      "4 hidden",
      "5 hidden",
      "6",
    ],
  );
  // Each day with a dispatch has its four hourly charts, ids unique in the page.
  assert.equal(html.match(/<svg class="chart"/g)?.length, 2 + 4 + 4);
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, "duplicate element ids");
  assert.ok(chartData(html)["chart-heat-d1"].file === "heat-day1");

  // The colluder's day shows D's unchecked acceptance in its own colour; the honest day has none.
  const [day4, day5] = html.split('<div class="day" data-day="5"');
  assert.match(day4, /<li class="msg unchecked" title="D took &lt;\$\d+&gt;C unchecked/);
  assert.doesNotMatch(day5, /<li class="msg unchecked"/);

  // One day: no picker and no chart across days.
  const one = renderReportHtml([honest]);
  assert.doesNotMatch(one, /<select id="day-picker"|id="chart-days/);
  assert.equal(one, renderReportHtml(honest), "a list of one day is that day's page");

  // poso report of a multi-day JSON Lines file: every day without --day, the day asked for with it.
  await withTmpDir("report-days", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/week.jsonl`,
      days.slice(0, 2).map((d) => JSON.stringify(d)).join("\n") + "\n",
    );
    const all = await cli(["report", `${dir}/week.jsonl`, "-o", `${dir}/all.html`]);
    assert.equal(all.status, 0, all.err);
    assert.match(all.out, /\(all 2 days\)/);
    assert.equal((await Deno.readTextFile(`${dir}/all.html`)).match(/<option value=/g)?.length, 2);
    const one = await cli(["report", `${dir}/week.jsonl`, "--day", "4", "-o", `${dir}/d4.html`]);
    assert.equal(one.status, 0, one.err);
    assert.doesNotMatch(await Deno.readTextFile(`${dir}/d4.html`), /<select id="day-picker"/);
  });
});

/** The browser, found once per run of this file; none: the browser test is ignored. */
const browser = await findChromium();
/** The browser test's name; when it is ignored, the one line saying why and how to run it. */
const BROWSER_TEST = "report in headless Chromium: four charts drawn, no script error, a screenshot";

/** Runs the headless browser on `args`; fails unless it exits with 0. */
async function chromium(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const common = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-extensions",
    `--user-data-dir=${path(PROFILE_DIR)}`,
  ];
  const result = await new Deno.Command(command, {
    args: [...common, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(BROWSER_KILL_AFTER_MS),
  }).output();
  const dec = new TextDecoder();
  const out = { stdout: dec.decode(result.stdout), stderr: dec.decode(result.stderr) };
  assert.equal(result.code, 0, `${command} exited with ${result.code}:\n${out.stderr}`);
  return out;
}

Deno.test({
  name: browser.command === undefined ? `${BROWSER_TEST}: ignored, ${browser.why}` : BROWSER_TEST,
  ignore: browser.command === undefined,
}, async () => {
  const command = browser.command!;
  const { env, book } = await consensusFixture();
  const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
  const { report } = await simulate(env, book, simConfigFor(scenario));
  report.dispatch = await dispatchOf("optimal");
  await Deno.remove(OUT_DIR, { recursive: true }).catch(() => {});
  await writeReport(report, HTML_FILE, { scenario });

  // One browser start does both: the DOM after the page's script ran, and the screenshot.
  const { stdout: dom, stderr } = await chromium(command, [
    "--dump-dom",
    `--screenshot=${path(PNG_FILE)}`,
    `--window-size=${WINDOW_WIDTH_PX},${WINDOW_HEIGHT_PX}`,
    HTML_FILE.href,
  ]);
  const body = /<body\b[^>]*>/.exec(dom)?.[0];
  assert.ok(body, `no <body> in the dumped DOM:\n${dom.slice(0, 500)}`);
  assert.match(body, new RegExp(`data-charts="${EXPECTED_CHARTS}"`), `charts drawn: ${body}`);
  assert.match(body, /data-errors=""/, `script errors: ${body}`);
  assert.match(body, /data-overlaps="0"/, `chart texts overlap: ${body}`);
  for (const r of report.rounds) {
    assert.ok(dom.includes(`Round ${r.round}<span class="sub">`), `round ${r.round}`);
  }

  const png = await Deno.readFile(PNG_FILE);
  assert.ok(png.length >= MIN_SCREENSHOT_BYTES, `screenshot of ${png.length} bytes (${stderr.trim()})`);
  assert.equal(new TextDecoder().decode(png.subarray(1, 1 + PNG_MAGIC.length)), PNG_MAGIC);
  const ihdr = new DataView(png.buffer, png.byteOffset + PNG_SIZE_OFFSET, 2 * Uint32Array.BYTES_PER_ELEMENT);
  assert.deepEqual([ihdr.getUint32(0), ihdr.getUint32(4)], [WINDOW_WIDTH_PX, WINDOW_HEIGHT_PX]);
  await Deno.remove(PROFILE_DIR, { recursive: true });
});

Deno.test({
  name: browser.command === undefined
    ? `report across days in headless Chromium at 700 px: ignored, ${browser.why}`
    : "report across days in headless Chromium at 700 px: the picked day's charts, no overlapping text, a PNG export, a screenshot",
  ignore: browser.command === undefined,
}, async () => {
  const command = browser.command!;
  const scenario = await loadScenarioFile("scenarios/scenario3.yaml");
  const days = [
    await simulatedDay("scenarios/scenario3.yaml", 1),
    await simulatedDay("scenarios/scenario1.yaml", 2),
  ];
  await Deno.mkdir(OUT_DIR, { recursive: true });
  await writeReport(days, NARROW_HTML_FILE, { scenario });
  // Day 1 picked by the address (the last day is shown by default), and its first chart exported as PNG.
  const { stdout: dom, stderr } = await chromium(command, [
    "--dump-dom",
    `--screenshot=${path(NARROW_PNG_FILE)}`,
    `--window-size=${NARROW_WIDTH_PX},${NARROW_HEIGHT_PX}`,
    `--virtual-time-budget=${VIRTUAL_TIME_BUDGET_MS}`,
    `${NARROW_HTML_FILE.href}#day=1&check-png`,
  ]);
  const body = /<body\b[^>]*>/.exec(dom)?.[0];
  assert.ok(body, `no <body> in the dumped DOM:\n${dom.slice(0, 500)}`);
  assert.match(body, /data-errors=""/, `script errors: ${body}`);
  // The two charts across days and the picked day's four hourly charts; the other day's are hidden.
  assert.match(body, /data-charts="6"/, `charts drawn: ${body}`);
  assert.match(dom, /<div class="day" data-day="1">/);
  assert.match(dom, /<div class="day" data-day="2" hidden="">/);
  assert.match(body, /data-overlaps="0"/, `chart texts overlap at ${NARROW_WIDTH_PX} px: ${body}`);
  const font = Number(/data-min-font="([\d.]+)"/.exec(body)?.[1]);
  assert.ok(font >= MIN_CHART_FONT_PX, `chart text ${font} px at ${NARROW_WIDTH_PX} px`);
  const pngBytes = Number(/data-png-bytes="(\d+)"/.exec(body)?.[1]);
  assert.ok(pngBytes >= MIN_CHART_PNG_BYTES, `the exported PNG has ${pngBytes} bytes: ${body}`);

  const png = await Deno.readFile(NARROW_PNG_FILE);
  assert.ok(png.length >= MIN_SCREENSHOT_BYTES, `screenshot of ${png.length} bytes (${stderr.trim()})`);
  const ihdr = new DataView(png.buffer, png.byteOffset + PNG_SIZE_OFFSET, 2 * Uint32Array.BYTES_PER_ELEMENT);
  assert.deepEqual([ihdr.getUint32(0), ihdr.getUint32(4)], [NARROW_WIDTH_PX, NARROW_HEIGHT_PX]);
  await Deno.remove(PROFILE_DIR, { recursive: true });
});
