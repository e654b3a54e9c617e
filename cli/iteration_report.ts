/**
 * The HTML report of a run of the published price iteration (the market baseline, `poso run` of a
 * `MultiEnergyPark` scene): the price trajectory over the iterations (electricity and every heat
 * zone, CNY/MWh), the final prices, every community's purchases and bill, the convergence (rounds,
 * messages, bytes) and the blacklists. The page is self-contained like the PoSo run report
 * (cli/report.ts, whose style and page head it shares): inline CSS, the chart as ECharts' SVG
 * rendered on the server (cli/charts.ts) with its PNG and CSV export, no network resource.
 *
 * The chart's data comes from {@link iterationPriceSeries} (one series per price, a value per round),
 * which cli/charts.ts draws.
 *
 * `poso report` reads an iteration's `--json` back with {@link readIterationReportFile}, which checks
 * every field (types, ranges, lengths) and names the one that is wrong.
 *
 * @module
 */
import { MAX_VECTOR_LENGTH } from "../consensus/iteration.ts";
import { MAX_FINAL_ROUND } from "../scenarios/loader.ts";
import type { IterationRunReport } from "./iteration.ts";
import {
  type ChartData,
  chartDataScript,
  chartFigure,
  type ChartSpec,
  DASHES,
  paletteEntry,
} from "./charts.ts";
import { esc, num, pageHead } from "./report.ts";
import { readReportText, ReportFileError } from "./run.ts";

/** The unit of every price of the page. */
export const PRICE_UNIT = "CNY/MWh";

/** One price's trajectory: its value after each round (round 0: the starting price). */
export interface PriceSeries {
  /** What it is the price of: `electricity` or `heat, zone <id>`. */
  name: string;
  /** Its unit ({@link PRICE_UNIT}). */
  unit: string;
  /** The rounds, ascending (x values). */
  rounds: number[];
  /** The price after each round (y values), in `unit`. */
  values: number[];
}

/**
 * The price trajectory of an iteration run as chart series: electricity, then the heat price of each
 * zone in zone order, each with a value per round (what the majority of delegates computed).
 *
 * @example
 * ```ts
 * import { iterationPriceSeries } from "./iteration_report.ts";
 * const series = iterationPriceSeries({
 *   outcome: { heatZones: [1] },
 *   trajectory: [
 *     { round: 0, electricityCnyPerMwh: 300, heatCnyPerMwh: [200] },
 *     { round: 1, electricityCnyPerMwh: 450, heatCnyPerMwh: [190] },
 *   ],
 * });
 * console.log(series.map((s) => `${s.name}: ${s.values.join(" ")}`)); // [ "electricity: 300 450", "heat, zone 1: 200 190" ]
 * ```
 */
export function iterationPriceSeries(
  report: {
    outcome: { heatZones: number[] };
    trajectory: { round: number; electricityCnyPerMwh: number; heatCnyPerMwh: number[] }[];
  },
): PriceSeries[] {
  const rounds = report.trajectory.map((t) => t.round);
  return [
    {
      name: "electricity",
      unit: PRICE_UNIT,
      rounds,
      values: report.trajectory.map((t) => t.electricityCnyPerMwh),
    },
    ...report.outcome.heatZones.map((z, k) => ({
      name: `heat, zone ${z}`,
      unit: PRICE_UNIT,
      rounds: [...rounds],
      values: report.trajectory.map((t) => t.heatCnyPerMwh[k]),
    })),
  ];
}

// ---------------------------------------------------------------------------
// The chart

/** Most points drawn per series: a longer trajectory is thinned evenly (its last point always kept). */
export const MAX_CHART_POINTS = 2000;
/** Decimals of a price on the page, CNY/MWh (the stopping tolerance is 1e-3 of it). */
const PRICE_DECIMALS = 4;
/** Decimals of a power on the page, MW. */
const MW_DECIMALS = 3;
/** Decimals of a bill on the page, CNY. */
const BILL_DECIMALS = 2;
/** Most notes listed on the page (the run keeps at most a few hundred). */
const MAX_NOTES_SHOWN = 50;

/** Indices of at most {@link MAX_CHART_POINTS} points of n, evenly spread, the first and last kept. */
function thinned(n: number): number[] {
  if (n <= MAX_CHART_POINTS) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil(n / MAX_CHART_POINTS);
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += step) out.push(i);
  out.push(n - 1);
  return out;
}

/** The trajectory chart: a line per price against the round (ECharts, cli/charts.ts). */
function trajectoryChart(series: PriceSeries[], data: Map<string, ChartData>): string {
  const rounds = series[0]?.rounds ?? [];
  const picked = thinned(rounds.length);
  const spec: ChartSpec = {
    id: "chart-trajectory",
    file: "price-trajectory",
    title: `Prices over the iterations (${PRICE_UNIT})`,
    x: { name: "iteration", unit: "round", values: picked.map((i) => rounds[i]), numeric: true },
    y: [{ name: "price", unit: PRICE_UNIT }],
    series: series.map((s, k) => {
      const p = paletteEntry(k);
      return {
        name: s.name,
        unit: s.unit,
        kind: "line",
        values: picked.map((i) => s.values[i]),
        colour: p.colour,
        dash: DASHES[p.pass % DASHES.length],
      };
    }),
    caption: `One line per price, what most delegates computed after each round (round 0: the ` +
      `starting prices); the CSV button downloads every value.` +
      (picked.length < rounds.length
        ? ` ${num(rounds.length)} rounds, drawn at ${num(picked.length)} evenly spread points.`
        : ""),
  };
  return chartFigure(spec, data);
}

// ---------------------------------------------------------------------------
// The page

/** Options of {@link renderIterationReportHtml}. */
export interface IterationReportHtmlOptions {
  /** Page title; default `Price iteration report: <scenario name>`. */
  title?: string;
}

/** A table cell holding a number, right-aligned. */
const numCell = (v: number, decimals: number) => `<td class="num">${esc(num(v, decimals))}</td>`;

function headerHtml(r: IterationRunReport, title: string): string {
  const facts: [string, string][] = [
    ["Scenario", esc(r.scenario)],
    ["Runtime", esc(r.runtime === "workers" ? "Workers (one per participant)" : "deterministic simulator")],
    ["Delegates", esc(r.delegates.join(", "))],
    [
      "Outcome",
      `<span class="${r.converged ? "good" : "bad"}">${
        esc(
          r.converged
            ? `converged after ${num(r.rounds)} rounds`
            : `did NOT converge: stopped after ${num(r.rounds)} rounds`,
        )
      }</span>`,
    ],
  ];
  return `<header><h1>${esc(title)}</h1>` +
    `<p class="lead">The published price iteration (the baseline PoSo replaces): every round the ` +
    `communities send their demands to the delegates, the delegates forward them to each other, update ` +
    `the prices from the mismatch and send every community its prices.</p>` +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>` +
    `<p class="behaviours"><strong>Behaviours:</strong> ${
      r.behaviours.length === 0 ? "every participant is honest" : esc(r.behaviours.join("; "))
    }</p>` +
    (r.notices.length > 0
      ? `<ul class="notices">${r.notices.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`
      : "") +
    `</header>`;
}

function pricesHtml(r: IterationRunReport): string {
  const p = r.outcome.prices;
  const rows: [string, number][] = [
    ["electricity", p.electricityCnyPerMwh],
    ...r.outcome.heatZones.map((z, k) => [`heat, zone ${z}`, p.heatCnyPerMwh[k]] as [string, number]),
    ["gas (not traded: its external price)", p.gasCnyPerMwh],
  ];
  return `<section><h2>Final prices</h2>` +
    `<p class="muted">What most delegates computed in the last round, ${esc(PRICE_UNIT)}.</p>` +
    `<div class="table-wrap"><table class="result" id="final-prices"><thead><tr><th>price</th>` +
    `<th>${esc(PRICE_UNIT)}</th></tr></thead><tbody>` +
    rows.map(([name, v]) =>
      `<tr data-price="${esc(name)}"><th>${esc(name)}</th>${numCell(v, PRICE_DECIMALS)}</tr>`
    ).join("") +
    `</tbody></table></div></section>`;
}

function communitiesHtml(r: IterationRunReport): string {
  const cs = r.outcome.communities;
  if (cs.length === 0) {
    return `<section><h2>Communities</h2><p class="nothing">This report carries no community's ` +
      `purchases or bill.</p></section>`;
  }
  const caught = new Set(r.blacklists.map((b) => b.community));
  const body = cs.map((c) => {
    const s = c.seenCnyPerMwh;
    return `<tr data-community="${esc(c.id)}"><th>${esc(c.id)}${
      caught.has(c.id) ? ' <span class="bad">blacklisted</span>' : ""
    }</th>` +
      numCell(c.gasMw, MW_DECIMALS) + numCell(c.electricityMw, MW_DECIMALS) + numCell(c.heatMw, MW_DECIMALS) +
      numCell(c.billCny, BILL_DECIMALS) + numCell(s.gas, BILL_DECIMALS) +
      numCell(s.electricity, BILL_DECIMALS) +
      numCell(s.heat, BILL_DECIMALS) + `</tr>`;
  }).join("");
  return `<section><h2>Communities</h2>` +
    `<p class="muted">Each community's answer to the last prices it took (negative: sold) and its bill at ` +
    `those prices; the prices it saw differ from the market's where a behaviour changed them. A ` +
    `blacklisted community's demand is not counted by the delegates.</p>` +
    `<div class="table-wrap"><table class="result" id="communities"><thead><tr><th>community</th>` +
    `<th>gas<span class="sub">MW</span></th><th>electricity<span class="sub">MW</span></th>` +
    `<th>heat<span class="sub">MW</span></th><th>bill<span class="sub">CNY</span></th>` +
    `<th>gas price seen<span class="sub">${esc(PRICE_UNIT)}</span></th>` +
    `<th>electricity price seen<span class="sub">${esc(PRICE_UNIT)}</span></th>` +
    `<th>heat price seen<span class="sub">${esc(PRICE_UNIT)}</span></th></tr></thead><tbody>${body}</tbody>` +
    `</table></div></section>`;
}

function convergenceHtml(r: IterationRunReport): string {
  const last = r.trajectory[r.trajectory.length - 1];
  const facts: [string, string][] = [
    ["Rounds", num(r.rounds)],
    ["Stopping tolerance", `${r.toleranceCnyPerMwh} ${PRICE_UNIT} (norm of the price change)`],
    ["Last price change", last ? `${last.changeCnyPerMwh.toExponential(2)} ${PRICE_UNIT}` : "none"],
    ["Messages", num(r.messages)],
    ["Bytes", `${num(r.bytes)} (the messages as JSON${r.signatures ? ", signatures included" : ""})`],
    ["Timeouts", `${num(r.timeouts)} (rounds that ended on withheld messages)`],
  ];
  if (r.signatures) {
    facts.push([
      "Signatures",
      `${num(r.signatures.verified)} verified, ${
        num(r.signatures.rejected)
      } rejected (forged or altered: dropped)`,
    ]);
  }
  const dissent = r.trajectory.filter((t) => t.dissenters.length > 0).length;
  if (dissent > 0) facts.push(["Rounds with dissenting delegates", num(dissent)]);
  return `<section><h2>Convergence</h2><dl class="facts" id="convergence">${
    facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")
  }</dl></section>`;
}

function blacklistsHtml(r: IterationRunReport): string {
  const body = r.blacklists.length === 0
    ? `<p class="nothing">No delegate blacklisted anyone.</p>`
    : `<div class="table-wrap"><table class="result" id="blacklists"><thead><tr><th>delegate</th>` +
      `<th>community</th><th>round</th></tr></thead><tbody>` +
      r.blacklists.map((b) =>
        `<tr><td class="num">${esc(b.delegate)}</td><td class="num">${esc(b.community)}</td>` +
        `<td class="num">${esc(b.round)}</td></tr>`
      ).join("") + `</tbody></table></div>`;
  const notes = r.notes.length === 0
    ? ""
    : `<h3>Notes</h3><ul class="plain">${
      r.notes.slice(0, MAX_NOTES_SHOWN).map((n) => `<li>${esc(n)}</li>`).join("")
    }${
      r.notes.length > MAX_NOTES_SHOWN ? `<li>… ${num(r.notes.length - MAX_NOTES_SHOWN)} more</li>` : ""
    }</ul>`;
  return `<section><h2>Blacklists</h2><p class="muted">A delegate blacklists a community whose copies ` +
    `of one demand differ (its demand counts as nothing from then on).</p>${body}${notes}</section>`;
}

/**
 * Renders an iteration run's report (what `poso run --json` prints for a `MultiEnergyPark` scene) as
 * one self-contained HTML page: header, the price trajectory chart, final prices, communities,
 * convergence and blacklists.
 */
export function renderIterationReportHtml(
  report: IterationRunReport,
  options: IterationReportHtmlOptions = {},
): string {
  const title = options.title ?? `Price iteration report: ${report.scenario || "(unnamed scenario)"}`;
  const data = new Map<string, ChartData>();
  return `${pageHead(title)}
${headerHtml(report, title)}
<section><h2>Price trajectory</h2>
${trajectoryChart(iterationPriceSeries(report), data)}
</section>
${pricesHtml(report)}
${communitiesHtml(report)}
${convergenceHtml(report)}
${blacklistsHtml(report)}
${chartDataScript(data)}
<footer>PoSo-TS price iteration report. Self-contained: no script, style, font or image is loaded from anywhere.</footer>
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------
// Reading an iteration's JSON back

/** Most communities in an iteration report (the loader's participant limit is far lower). */
const MAX_REPORT_COMMUNITIES = 10_000;
/** Most entries of a list of ids, lines or blacklistings in an iteration report. */
const MAX_REPORT_LIST = 100_000;
/** Longest text in an iteration report, characters. */
const MAX_TEXT_CHARS = 10_000;
/** Largest magnitude of a price (CNY/MWh), power (MW), bill (CNY) or count in an iteration report. */
const MAX_MAGNITUDE = 1e15;

/** A checked read of one JSON value at a path. */
class At {
  constructor(readonly file: string, readonly path: string, readonly value: unknown) {}
  at(key: string | number): At {
    const v = this.value;
    const own = typeof v === "object" && v !== null && Object.hasOwn(v, key);
    const path = typeof key === "number" ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    return new At(this.file, path, own ? (v as Record<string | number, unknown>)[key] : undefined);
  }
  fail(detail: string): never {
    throw new ReportFileError(this.file, `${this.path || "the top level"}: ${detail}`);
  }
  number(min = -MAX_MAGNITUDE, max = MAX_MAGNITUDE): number {
    const v = this.value;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
      this.fail(
        `expected a number from ${min} to ${max}, got ${v === undefined ? "nothing" : JSON.stringify(v)}`,
      );
    }
    return v;
  }
  int(min = 0, max = MAX_MAGNITUDE): number {
    const v = this.number(min, max);
    if (!Number.isInteger(v)) this.fail(`expected an integer, got ${v}`);
    return v;
  }
  bool(): boolean {
    if (typeof this.value !== "boolean") this.fail("expected true or false");
    return this.value;
  }
  text(): string {
    const v = this.value;
    if (typeof v !== "string") this.fail("expected a string");
    if (v.length > MAX_TEXT_CHARS) this.fail(`longer than ${MAX_TEXT_CHARS} characters`);
    return v;
  }
  list<T>(max: number, item: (a: At) => T, length?: number): T[] {
    const v = this.value;
    if (!Array.isArray(v)) this.fail("expected an array");
    if (v.length > max) this.fail(`more than ${max} entries`);
    if (length !== undefined && v.length !== length) this.fail(`expected ${length} entries, got ${v.length}`);
    return v.map((_, i) => item(this.at(i)));
  }
}

/** Reads and checks an iteration run report; throws a ReportFileError naming the wrong field. */
function readIterationReport(top: At): IterationRunReport {
  const o = top.at("outcome");
  const heatZones = o.at("heatZones").list(MAX_VECTOR_LENGTH, (a) => a.int());
  const zones = heatZones.length;
  const price = (a: At) => a.number();
  const runtimeText = top.at("runtime").text();
  if (runtimeText !== "simulator" && runtimeText !== "workers") {
    top.at("runtime").fail("expected simulator or workers");
  }
  const runtime = runtimeText as "simulator" | "workers";
  const signatures = top.at("signatures").value === undefined ? undefined : {
    verified: top.at("signatures").at("verified").int(),
    rejected: top.at("signatures").at("rejected").int(),
  };
  const trajectory = top.at("trajectory").list(MAX_FINAL_ROUND + 1, (t) => ({
    round: t.at("round").int(0, MAX_FINAL_ROUND),
    electricityCnyPerMwh: price(t.at("electricityCnyPerMwh")),
    heatCnyPerMwh: t.at("heatCnyPerMwh").list(zones, price, zones),
    changeCnyPerMwh: t.at("changeCnyPerMwh").number(0),
    dissenters: t.at("dissenters").list(MAX_REPORT_LIST, (a) => a.int()),
  }));
  if (trajectory.length === 0) top.at("trajectory").fail("empty: a run has at least its starting prices");
  trajectory.forEach((t, i) => {
    if (i > 0 && t.round <= trajectory[i - 1].round) {
      top.at("trajectory").at(i).at("round").fail("rounds must ascend");
    }
  });
  return {
    kind: "market-iteration",
    scenario: top.at("scenario").text(),
    runtime,
    converged: top.at("converged").bool(),
    rounds: top.at("rounds").int(0, MAX_FINAL_ROUND),
    toleranceCnyPerMwh: top.at("toleranceCnyPerMwh").number(Number.MIN_VALUE),
    messages: top.at("messages").int(),
    bytes: top.at("bytes").int(),
    timeouts: top.at("timeouts").int(),
    wallMs: top.at("wallMs").number(0),
    delegates: top.at("delegates").list(MAX_REPORT_LIST, (a) => a.int()),
    behaviours: top.at("behaviours").list(MAX_REPORT_LIST, (a) => a.text()),
    notices: top.at("notices").list(MAX_REPORT_LIST, (a) => a.text()),
    ...(signatures ? { signatures } : {}),
    outcome: {
      prices: {
        gasCnyPerMwh: price(o.at("prices").at("gasCnyPerMwh")),
        electricityCnyPerMwh: price(o.at("prices").at("electricityCnyPerMwh")),
        heatCnyPerMwh: o.at("prices").at("heatCnyPerMwh").list(zones, price, zones),
      },
      heatZones,
      communities: o.at("communities").list(MAX_REPORT_COMMUNITIES, (c) => ({
        id: c.at("id").int(),
        gasMw: c.at("gasMw").number(),
        electricityMw: c.at("electricityMw").number(),
        heatMw: c.at("heatMw").number(),
        billCny: c.at("billCny").number(),
        seenCnyPerMwh: {
          gas: price(c.at("seenCnyPerMwh").at("gas")),
          electricity: price(c.at("seenCnyPerMwh").at("electricity")),
          heat: price(c.at("seenCnyPerMwh").at("heat")),
        },
      })),
    },
    trajectory,
    blacklists: top.at("blacklists").list(MAX_REPORT_LIST, (b) => ({
      delegate: b.at("delegate").int(),
      community: b.at("community").int(),
      round: b.at("round").int(0, MAX_FINAL_ROUND),
    })),
    notes: top.at("notes").list(MAX_REPORT_LIST, (a) => a.text()),
  };
}

/**
 * Reads `file` when it holds the `--json` of a price-iteration run (one JSON object whose `kind` is
 * `market-iteration`) and returns it checked; `undefined` when the file holds something else (a PoSo
 * run's reports: the caller reads them). A SimpleAdd run's JSON is refused (it has no prices to draw),
 * as is an iteration report with a wrong field (the error names it).
 */
export async function readIterationReportFile(file: string): Promise<IterationRunReport | undefined> {
  const text = await readReportText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // JSON Lines of a PoSo run, or not JSON: the PoSo reader says what is wrong.
  }
  const kind = new At(file, "", value).at("kind").value;
  if (kind === "simple-add") {
    throw new ReportFileError(file, "is a SimpleAdd run: it has no prices to draw, and no report page");
  }
  if (kind !== "market-iteration") return undefined;
  return readIterationReport(new At(file, "", value));
}
