/**
 * The HTML report of the published price iteration (cli/iteration_report.ts), in-process and in the
 * deterministic simulator: `poso run --report` of a MultiEnergyPark scene and `poso report` of its
 * `--json` write the same page; the page draws one line per price against the iteration with its
 * units, and its final prices, communities and blacklists are those of the JSON; the published cheat
 * shows the higher electricity price; a tampered JSON is refused naming the field.
 *
 * @module
 */
import assert from "node:assert/strict";
import { iterationPriceSeries } from "../cli/iteration_report.ts";
import type { IterationRunReport } from "../cli/iteration.ts";
import { cli, withTmpDir } from "./helpers.ts";

const HONEST = "scenarios/market12-iteration.yaml";
const CHEAT = "scenarios/market12-iteration-cheat.yaml";
const BLACKLIST = "scenarios/market12-iteration-blacklist.yaml";

/** The `--json` of a simulated run of `file`. */
async function runJson(file: string): Promise<IterationRunReport> {
  const r = await cli(["run", file, "--simulate", "--json"]);
  assert.equal(r.status, 0, r.err);
  return JSON.parse(r.out) as IterationRunReport;
}

/** The final price of `name` (`electricity`, `heat, zone 1`, ...) in the page's table, CNY/MWh. */
function finalPrice(html: string, name: string): number {
  const m = html.match(new RegExp(`<tr data-price="${name}"><th>[^<]*</th><td class="num">([^<]+)</td>`));
  assert.ok(m, `no final price of ${name} on the page`);
  return Number(m[1].replace(/,/g, "").replace("−", "-"));
}

/** The trajectory chart's CSV (embedded for its export): header and rows. */
function trajectoryCsv(html: string): string[][] {
  const m = /<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(html);
  assert.ok(m, "no chart data on the page");
  const data = JSON.parse(m[1]) as Record<string, { file: string; csv: string }>;
  return data["chart-trajectory"].csv.trim().split("\r\n").map(csvFields);
}

/** The fields of one CSV line (RFC 4180 quoting; no line breaks inside fields here). */
function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
    m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]
  );
}

/** The series names of the trajectory chart, in order, from its CSV header (each in CNY/MWh). */
function seriesOf(html: string): string[] {
  const [header] = trajectoryCsv(html);
  assert.equal(header[0], "iteration (round)");
  return header.slice(1).map((h) => {
    const m = /^(.*) \(CNY\/MWh\)$/.exec(h);
    assert.ok(m, `${h} names no unit`);
    return m[1];
  });
}

Deno.test("iteration report: the baseline's page draws every price against the iteration, and poso report of its JSON writes the same page", async () => {
  await withTmpDir("iteration-report", async (dir) => {
    const json = await runJson(HONEST);
    await Deno.writeTextFile(`${dir}/it.json`, JSON.stringify(json));
    const fromJson = await cli(["report", `${dir}/it.json`, "-o", `${dir}/from-json.html`]);
    assert.equal(fromJson.status, 0, fromJson.err);
    const run = await cli(["run", HONEST, "--simulate", "--report", `${dir}/run.html`]);
    assert.equal(run.status, 0, run.err);
    assert.match(run.out, /report written to/);
    const page = await Deno.readTextFile(`${dir}/from-json.html`);
    assert.equal(
      await Deno.readTextFile(`${dir}/run.html`),
      page,
      "poso run --report and poso report differ",
    );

    // One series per price: electricity and each of the three heat zones, in CNY/MWh against the round.
    const zones = json.outcome.heatZones;
    assert.equal(zones.length, 3);
    assert.deepEqual(seriesOf(page), ["electricity", ...zones.map((z) => `heat, zone ${z}`)]);
    // The chart is ECharts' SVG, its axes named with their units, a legend entry per price.
    const svg = page.slice(
      page.indexOf(`<svg class="chart" id="chart-trajectory"`),
      page.indexOf("</svg>") + 6,
    );
    assert.ok(svg.length > 100, "no trajectory chart");
    assert.match(svg, />price \(CNY\/MWh\)</);
    assert.match(svg, />iteration \(round\)</);
    const legend = new Set(
      [...svg.matchAll(/ecmeta_series_index="(\d+)"[^>]*ecmeta_ssr_type="legend"/g)].map((m) => m[1]),
    );
    assert.equal(legend.size, 4);
    // Four distinct colours, one per price.
    const strokes = new Set(
      [...svg.matchAll(/<path d="M[^"]*" fill="none"[^>]*stroke="(#[0-9a-f]{6})" stroke-width="2"/g)].map((
        m,
      ) => m[1]),
    );
    assert.equal(strokes.size, 4, [...strokes].join(" "));
    // Every round is a row of the chart's data (78 rounds: not thinned), the values those of the JSON.
    const rows = trajectoryCsv(page).slice(1);
    assert.equal(rows.length, json.trajectory.length);
    rows.forEach((r, i) => {
      assert.equal(Number(r[0]), json.trajectory[i].round);
      assert.ok(Math.abs(Number(r[1]) - json.trajectory[i].electricityCnyPerMwh) <= 1e-6);
    });
    assert.match(page, /<button type="button" data-export="png" data-chart="chart-trajectory">PNG<\/button>/);
    assert.match(page, /<button type="button" data-export="csv" data-chart="chart-trajectory">CSV<\/button>/);
    assert.equal(json.trajectory.length, json.rounds + 1);

    // The series the chart draws are the JSON's trajectory, ending at its final prices.
    const series = iterationPriceSeries(json);
    const p = json.outcome.prices;
    assert.deepEqual(series.map((s) => s.values[s.values.length - 1]), [
      p.electricityCnyPerMwh,
      ...p.heatCnyPerMwh,
    ]);
    assert.ok(
      series.every((s) => s.rounds.length === json.rounds + 1 && s.rounds[json.rounds] === json.rounds),
    );

    // Final prices on the page are the JSON's, to the 4 decimals shown (CNY/MWh).
    assert.ok(Math.abs(finalPrice(page, "electricity") - p.electricityCnyPerMwh) <= 5e-5);
    zones.forEach((z, k) =>
      assert.ok(Math.abs(finalPrice(page, `heat, zone ${z}`) - p.heatCnyPerMwh[k]) <= 5e-5)
    );
    // Each community's purchases and bill, and the convergence figures.
    for (const c of json.outcome.communities) {
      const row = page.match(new RegExp(`<tr data-community="${c.id}">(.*?)</tr>`));
      assert.ok(row, `community ${c.id} is missing`);
      const cells = [...row[1].matchAll(/<td class="num">([^<]+)<\/td>/g)].map((m) =>
        Number(m[1].replace(/,/g, "").replace("−", "-"))
      );
      assert.ok(Math.abs(cells[1] - c.electricityMw) <= 5e-4, `community ${c.id}'s electricity`);
      assert.ok(Math.abs(cells[3] - c.billCny) <= 5e-3, `community ${c.id}'s bill`);
    }
    assert.match(page, new RegExp(`<dt>Messages</dt><dd>${json.messages.toLocaleString("en-US")}</dd>`));
    assert.match(page, /No delegate blacklisted anyone/);
  });
});

Deno.test("iteration report: the published cheat's page shows the higher electricity price, the blacklist case its blacklistings", async () => {
  const honest = await runJson(HONEST);
  const [cheat, caught] = [await runJson(CHEAT), await runJson(BLACKLIST)];
  await withTmpDir("iteration-report-cheat", async (dir) => {
    for (const [name, json] of [["cheat", cheat], ["blacklist", caught]] as const) {
      await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(json));
      const r = await cli(["report", `${dir}/${name}.json`, "-o", `${dir}/${name}.html`]);
      assert.equal(r.status, 0, r.err);
    }
    const cheatPage = await Deno.readTextFile(`${dir}/cheat.html`);
    const shown = finalPrice(cheatPage, "electricity");
    // Community 5 withdraws its supply at 0.4 × the price: the market price rises by about 90 CNY/MWh.
    assert.ok(
      shown > honest.outcome.prices.electricityCnyPerMwh + 50,
      `${shown} is not well above the honest price`,
    );
    assert.ok(Math.abs(shown - cheat.outcome.prices.electricityCnyPerMwh) <= 5e-5);
    assert.match(cheatPage, /shows communities 5 electricity price × 0\.4/);
    const row5 = cheatPage.match(/<tr data-community="5">(.*?)<\/tr>/)![1];
    assert.match(row5, new RegExp(`>${(0.4 * cheat.outcome.prices.electricityCnyPerMwh).toFixed(2)}<`));

    const caughtPage = await Deno.readTextFile(`${dir}/blacklist.html`);
    assert.ok(caught.blacklists.length > 0);
    assert.match(caughtPage, /<table class="result" id="blacklists">/);
    assert.match(caughtPage, /<tr data-community="1"><th>1 <span class="bad">blacklisted<\/span>/);
  });
});

Deno.test("iteration report: a tampered or foreign JSON is refused naming the field, and text is escaped", async () => {
  const json = await runJson(HONEST);
  await withTmpDir("iteration-report-bad", async (dir) => {
    const attempt = async (value: unknown) => {
      await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(value));
      return await cli(["report", `${dir}/bad.json`, "-o", `${dir}/bad.html`]);
    };
    const bad: [unknown, RegExp][] = [
      [
        { ...json, trajectory: [...json.trajectory, { ...json.trajectory[0], round: 1e9 }] },
        /trajectory\[79\]\.round/,
      ],
      [
        { ...json, outcome: { ...json.outcome, prices: { ...json.outcome.prices, heatCnyPerMwh: [1, 2] } } },
        /outcome\.prices\.heatCnyPerMwh: expected 3 entries/,
      ],
      [{
        ...json,
        trajectory: json.trajectory.map((t, i) => i === 5 ? { ...t, electricityCnyPerMwh: "x" } : t),
      }, /trajectory\[5\]\.electricityCnyPerMwh/],
      [{ ...json, trajectory: [] }, /trajectory: empty/],
      [{ ...json, runtime: "mainframe" }, /runtime: expected simulator or workers/],
      [
        { ...json, outcome: { ...json.outcome, heatZones: Array(65).fill(1) } },
        /heatZones: more than 64 entries/,
      ],
      [{ kind: "simple-add", converged: true }, /SimpleAdd run/],
    ];
    for (const [value, why] of bad) {
      const r = await attempt(value);
      assert.equal(r.status, 1, `accepted: ${why}`);
      assert.match(r.err, why);
    }
    const xss = await attempt({ ...json, scenario: "<script>alert(1)</script>", notices: ["<img src=x>"] });
    assert.equal(xss.status, 0, xss.err);
    const page = await Deno.readTextFile(`${dir}/bad.html`);
    assert.ok(!page.includes("<script>alert") && !page.includes("<img src=x>"));
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    // --day has no meaning for one iteration run.
    await Deno.writeTextFile(`${dir}/it.json`, JSON.stringify(json));
    const day = await cli(["report", `${dir}/it.json`, "--day", "2", "-o", `${dir}/day.html`]);
    assert.equal(day.status, 1);
    assert.match(day.err, /drop --day/);
  });
});

Deno.test("iteration report: --report is checked before the run, and refused for a SimpleAdd scene", async () => {
  await withTmpDir("iteration-report-outputs", async (dir) => {
    const file = `${dir}/it.yaml`;
    await Deno.copyFile(HONEST, file);
    const clash = await cli(["run", file, "--simulate", "--report", file]);
    assert.equal(clash.status, 1);
    assert.match(clash.err, /would overwrite the scenario file/);
    assert.equal(clash.out, "", "the run must not start");
    const r = await cli([
      "run",
      "tests/fixtures/published/simple-add.yaml",
      "--simulate",
      "--report",
      `${dir}/sa.html`,
    ]);
    assert.equal(r.status, 2);
    assert.match(r.err, /a SimpleAdd scene has none/);
  });
});
