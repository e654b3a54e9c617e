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
import type { RunReport } from "../consensus/report.ts";
import { FEASIBILITY_TOLERANCE } from "../lp/certificate.ts";
import type { DispatchModel } from "../problems/ies-dispatch/dispatch.ts";
import { type DispatchSummary, summariseDispatch } from "../problems/ies-dispatch/summary.ts";
import { type DispatchSeries, dispatchSeries } from "../problems/ies-dispatch/series.ts";
import { costliestImportHour } from "../problems/ies-dispatch/variants.ts";
import type { ProposalVariant } from "../consensus/types.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { findChromium } from "./chromium.ts";
import { consensusFixture } from "./consensus_fixture.ts";

/** Where the browser test writes, inside the suite's only writable folder. */
const OUT_DIR = new URL("../out/test-tmp/report/", import.meta.url);
const HTML_FILE = new URL("report.html", OUT_DIR);
const PNG_FILE = new URL("report.png", OUT_DIR);
const PROFILE_DIR = new URL("chromium-profile/", OUT_DIR);
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
  assert.doesNotMatch(html, /@import|url\(\s*['"]?(?!#)/i, "no CSS import or external url()");
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
