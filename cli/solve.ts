/**
 * `poso solve`: build the dispatch LP, solve a variant, check its
 * certificate, and report cost, energy by source and timings.
 *
 * @module
 */
import { type Certificate, checkCertificate, describeVerdict, type Verdict } from "../lp/certificate.ts";
import { type IesCase, loadCaseFile, loadUomCase } from "../problems/ies-dispatch/case.ts";
import { buildDispatchModel, type DispatchModel } from "../problems/ies-dispatch/dispatch.ts";
import { type LpSize, lpSize } from "../lp/lp.ts";
import { type DispatchSeries, dispatchSeries } from "../problems/ies-dispatch/series.ts";
import { solveVariant, type Variant } from "../problems/ies-dispatch/variants.ts";
import { renderTable, usd, whole } from "./table.ts";

/** Published reference costs (docs/model.md, "Reference figures"), $ per day. */
export const PUBLISHED_COST_USD: Partial<Record<Variant, number>> = { optimal: 744.09, selfish: 904.17 };

/** Hourly values of one hub, kW. */
export interface HubReport {
  id: number;
  chpElectricKw: number[];
  chpHeatKw: number[];
  boilerHeatKw: number[];
  /** Battery injection into its bus (discharge × eff − charge / eff). */
  batteryInjectionKw: number[];
  /** Heat-tank injection into its heat node. */
  tankInjectionKw: number[];
}

/** What `poso solve --json` prints. */
export interface SolveReport {
  variant: Variant;
  case: string;
  /** Periods of the case's horizon, h (24 for a day). */
  hours: number;
  trueCostUsd: number;
  lpObjectiveUsd: number;
  publishedCostUsd: number | null;
  costBreakdownUsd: { grid: number; chp: number; boiler: number };
  gridImportKw: number[];
  hubs: HubReport[];
  certificate: {
    verdict: Verdict["verdict"];
    gapUsd: number | null;
    maxViolation: number | null;
    detail: string;
  };
  timingsMs: { build: number; solve: number; check: number };
  size: LpSize;
}

/** The case named on the command line, or the bundled UoM case. */
export function loadCase(path?: string): Promise<IesCase> {
  return path ? loadCaseFile(path) : loadUomCase();
}

function hubReports(model: DispatchModel, x: ArrayLike<number>): HubReport[] {
  const at = (cols: number[]) => cols.map((j) => x[j]);
  return model.layout.hubs.map((h, k) => {
    const hub = model.ies.hubs[k];
    const inject = (out: number[], inn: number[], eff: number) =>
      out.map((j, t) => x[j] * eff - x[inn[t]] / eff);
    return {
      id: h.id,
      chpElectricKw: at(h.chpElectricKw),
      chpHeatKw: at(h.chpElectricKw).map((p) => p * hub.chp.heat_to_power_ratio),
      boilerHeatKw: at(h.boilerHeatKw),
      batteryInjectionKw: inject(h.batteryDischargeKw, h.batteryChargeKw, hub.battery.efficiency),
      tankInjectionKw: inject(h.tankDischargeKw, h.tankChargeKw, hub.heat_tank.efficiency),
    };
  });
}

/** Builds, solves and checks; returns the report, the certificate and the dispatch's hourly series. */
export async function runSolve(
  variant: Variant,
  casePath?: string,
): Promise<{ report: SolveReport; certificate: Certificate; series: DispatchSeries }> {
  const ies = await loadCase(casePath);
  let t0 = performance.now();
  const model = buildDispatchModel(ies);
  const build = performance.now() - t0;
  const sol = await solveVariant(model, variant);
  t0 = performance.now();
  const verdict = checkCertificate(model.lp, sol.certificate);
  const check = performance.now() - t0;
  const x = sol.certificate.x;
  const figures = verdict.verdict === "malformed" ? null : verdict;
  return {
    certificate: sol.certificate,
    series: dispatchSeries(model, x),
    report: {
      variant,
      case: ies.name,
      hours: model.layout.hours,
      trueCostUsd: sol.cost.total,
      lpObjectiveUsd: sol.lpObjectiveUsd,
      publishedCostUsd: casePath ? null : PUBLISHED_COST_USD[variant] ?? null,
      costBreakdownUsd: { grid: sol.cost.grid, chp: sol.cost.chp, boiler: sol.cost.boiler },
      gridImportKw: model.layout.gridImportKw.map((j) => x[j]),
      hubs: hubReports(model, x),
      certificate: {
        verdict: verdict.verdict,
        gapUsd: figures?.gapUsd ?? null,
        maxViolation: figures?.maxViolation ?? null,
        detail: describeVerdict(verdict),
      },
      timingsMs: { build, solve: sol.solveMs, check },
      size: lpSize(model.lp),
    },
  };
}

const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);

/** Hours of a day: a horizon this long is called a day. */
const HOURS_PER_DAY = 24;

/** The human-readable summary of a solve. */
export function formatSolveReport(r: SolveReport): string {
  const pub = r.publishedCostUsd;
  const vsPub = pub === null
    ? ""
    : `   (published: ${usd(pub)}, ${(((r.trueCostUsd - pub) / pub) * 100).toFixed(3)} %)`;
  const energy = r.hubs.map((h) => [
    `hub ${h.id}`,
    whole(sum(h.chpElectricKw)),
    whole(sum(h.chpHeatKw)),
    whole(sum(h.boilerHeatKw)),
    whole(sum(h.batteryInjectionKw)),
    whole(sum(h.tankInjectionKw)),
  ]);
  energy.push(["grid", whole(sum(r.gridImportKw)), "", "", "", ""]);
  const t = r.timingsMs;
  return [
    `${r.case}, ${r.hours}-hour dispatch, variant: ${r.variant}`,
    "",
    `True cost     ${usd(r.trueCostUsd)} per ${r.hours === HOURS_PER_DAY ? "day" : `${r.hours} h`}${vsPub}`,
    `  grid import ${usd(r.costBreakdownUsd.grid)}`,
    `  CHP units   ${usd(r.costBreakdownUsd.chp)}`,
    `  gas boilers ${usd(r.costBreakdownUsd.boiler)}`,
    `LP objective  ${usd(r.lpObjectiveUsd)} (piecewise-linear CHP cost)`,
    "",
    `Energy over the ${r.hours === HOURS_PER_DAY ? "day" : "horizon"}, kWh (storage: net injection)`,
    renderTable(
      ["source", "CHP elec", "CHP heat", "boiler heat", "battery", "heat tank"],
      energy,
      ["left", "right", "right", "right", "right", "right"],
    ),
    "",
    `Certificate   ${r.certificate.detail}`,
    `Model         ${r.size.variables} variables, ${r.size.constraints} constraints, ${r.size.nonzeros} nonzeros`,
    `Times         build ${t.build.toFixed(0)} ms, solve ${t.solve.toFixed(0)} ms, check ${
      t.check.toFixed(2)
    } ms`,
  ].join("\n");
}
