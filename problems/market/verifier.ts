/**
 * How a market participant checks a proposed outcome and reads it back: the
 * {@link Verifier} the state machines call, and the summary a report shows
 * (prices, every community's purchases and bill).
 *
 * @module
 */
import { type Certificate, describeVerdict, type Verdict } from "../../lp/certificate.ts";
import { dispatchDigest, memoByCertificate } from "../../consensus/digest.ts";
import type { Verifier } from "../../consensus/types.ts";
import type { ProblemSummary, Settlement } from "../types.ts";
import { checkMarketCertificate, marketCost } from "./checker.ts";
import type { MarketModel } from "./model.ts";
import { MARKET_COST_UNIT } from "./unit.ts";
import { plantCost } from "./response.ts";

/** How much the tampered copy ({@link Verifier.tamper}) takes off the first community's electricity purchase, MW. */
export const TAMPER_SHIFT_MW = 1;

/** The x of a certificate, or undefined when it carries none (never throws). */
function xOf(cert: unknown): ArrayLike<number> | undefined {
  const x = (cert as Partial<Certificate> | null)?.x;
  return x !== null && typeof x === "object" ? x : undefined;
}

/**
 * The verifier of a participant that built the day's market itself:
 * - `verify`: checker.ts checkMarketCertificate (memoised per certificate object);
 * - `digest`: the SHA-256 of x (consensus/digest.ts dispatchDigest);
 * - `costUsd`: the allocation's true cost, **in CNY per hour** (checker.ts marketCost; NaN for a
 *   certificate without a usable x);
 * - `tamper`: the same y with the first community's electricity purchase lowered by
 *   {@link TAMPER_SHIFT_MW}: its electricity balance then fails, so it is always rejected
 *   (`infeasible`) and always another x.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * import { makeMarketVerifier } from "./verifier.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const v = makeMarketVerifier(m);
 * const { certificate } = solveMarketVariant(m, "optimal");
 * console.log(v.verify(certificate).verdict, v.verify(v.tamper(certificate)).verdict); // accepted infeasible
 * ```
 */
export function makeMarketVerifier(model: MarketModel): Verifier {
  const j = model.communities[0].col + 1;
  return {
    cost: MARKET_COST_UNIT,
    verify: memoByCertificate((cert): Verdict => checkMarketCertificate(model, cert)),
    digest: dispatchDigest,
    costUsd: memoByCertificate((cert) => {
      const x = xOf(cert);
      return x ? marketCost(model, x) : NaN;
    }),
    tamper: memoByCertificate((cert): Certificate => {
      const x = Array.from(xOf(cert) ?? [], Number);
      x[j] = (x[j] ?? 0) - TAMPER_SHIFT_MW;
      return { ...cert, variant: "tampered", x };
    }),
  };
}

/** One community in a market outcome. */
export interface CommunityOutcome {
  /** Its id in the case. */
  id: number;
  /** Id of its heat zone. */
  heatZone: number;
  /** Gas bought, MW. */
  gasMw: number;
  /** Electricity bought, MW (negative: sold). */
  electricityMw: number;
  /** Heat bought, MW (negative: sold). */
  heatMw: number;
  /** Its power plant's output, MW (0 without one). */
  plantMw: number;
  /** What it pays for the hour at the clearing prices, CNY: gas + electricity + heat (negative: it earns). */
  billCny: number;
  /** Its bill plus its power plant's cost, CNY. */
  costCny: number;
}

/** A market outcome as reports, CSV and `--json` show it. */
export interface MarketSeries {
  /** The clearing prices, CNY/MWh (`heatCnyPerMwh` in zone order). */
  prices: { gasCnyPerMwh: number; electricityCnyPerMwh: number; heatCnyPerMwh: number[] };
  /** Heat zone ids, in zone order. */
  heatZones: number[];
  /** The grid's supply, MW. */
  gridMw: number;
  /** Each zone heat plant's supply, MW, in zone order. */
  heatPlantMw: number[];
  /** Every community, in id order. */
  communities: CommunityOutcome[];
  /** The market's total cost (gas, plants, outside supply), CNY/h. */
  totalCostCny: number;
}

/**
 * The outcome a certificate proposes, read with the day's market (no check: see {@link summariseMarket}).
 * Entries a certificate lacks read as NaN.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * import { marketSeries } from "./verifier.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const s = marketSeries(m, solveMarketVariant(m, "optimal").certificate);
 * console.log(s.prices.electricityCnyPerMwh.toFixed(2), s.communities[4].billCny.toFixed(0)); // 639.57 -353914
 * ```
 */
export function marketSeries(model: MarketModel, cert: Certificate): MarketSeries {
  const x = xOf(cert) ?? [], yRaw = (cert as Partial<Certificate> | null)?.y;
  const y = yRaw !== null && typeof yRaw === "object" ? yRaw : [];
  const num = (a: ArrayLike<number>, k: number) => typeof a[k] === "number" ? a[k] : NaN;
  const e = num(y, 0);
  const heat = model.zones.map((_, k) => num(y, 1 + k));
  return {
    prices: { gasCnyPerMwh: model.gasPrice, electricityCnyPerMwh: e, heatCnyPerMwh: heat },
    heatZones: model.zones.map((z) => z.id),
    gridMw: num(x, model.gridCol),
    heatPlantMw: model.zones.map((_, k) => num(x, model.gridCol + 1 + k)),
    communities: model.communities.map((c) => {
      const gasMw = num(x, c.col), electricityMw = num(x, c.col + 1), heatMw = num(x, c.col + 2);
      const plantMw = c.plant ? num(x, c.col + 3) : 0;
      const billCny = model.gasPrice * gasMw + e * electricityMw + heat[c.zone] * heatMw;
      return {
        id: c.id,
        heatZone: model.zones[c.zone].id,
        gasMw,
        electricityMw,
        heatMw,
        plantMw,
        billCny,
        costCny: billCny + plantCost(c, plantMw),
      };
    }),
    totalCostCny: marketCost(model, x),
  };
}

/**
 * A proposal as a report shows it: its true cost (CNY/h, in the `costUsd` field), the certified gap
 * (CNY/h, in `gapUsd`; NaN when the check got no figures), the verdict in words and the
 * {@link MarketSeries}.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * import { summariseMarket } from "./verifier.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const s = summariseMarket(m, solveMarketVariant(m, "optimal").certificate);
 * console.log(s.verdict.startsWith("accepted"), s.costUsd.toFixed(2)); // true 1686957.15
 * ```
 */
export function summariseMarket(model: MarketModel, cert: Certificate): ProblemSummary {
  const v = checkMarketCertificate(model, cert);
  const series = marketSeries(model, cert);
  return {
    costUsd: series.totalCostCny,
    gapUsd: "gapUsd" in v ? v.gapUsd : NaN,
    verdict: describeVerdict(v, MARKET_COST_UNIT),
    series,
    outcome: { ...marketOutcome(series) },
    outcomeLines: [pricesLine(series)],
  };
}

/** Decimals of a price in the trace's prices line, CNY/MWh (the test tolerance is 0.01). */
const PRICE_DECIMALS = 4;

/**
 * The trace's line of clearing prices: electricity, then heat per zone (zone ids as in the case), CNY/MWh.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * import { marketSeries, pricesLine } from "./verifier.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * console.log(pricesLine(marketSeries(m, solveMarketVariant(m, "optimal").certificate)));
 * // Prices: electricity 639.5726 CNY/MWh; heat 204.7105 (zone 1), 176.4711 (zone 2), 191.2253 (zone 3) CNY/MWh
 * ```
 */
export function pricesLine(series: MarketSeries): string {
  const heat = series.prices.heatCnyPerMwh.map((h, k) =>
    `${h.toFixed(PRICE_DECIMALS)} (zone ${series.heatZones[k]})`
  );
  return `Prices: electricity ${series.prices.electricityCnyPerMwh.toFixed(PRICE_DECIMALS)} CNY/MWh; ` +
    `heat ${heat.join(", ")} CNY/MWh`;
}

/** What a market run's outcome carries ({@link marketOutcome}). */
export interface MarketOutcome {
  /** The clearing prices, CNY/MWh: electricity, and heat per zone in zone order. */
  prices: { electricityCnyPerMwh: number; heatCnyPerMwh: number[] };
  /** Every community, in id order: its purchases (MW, negative: sold) and its bill (CNY for the hour). */
  communities: { id: number; gasMw: number; electricityMw: number; heatMw: number; billCny: number }[];
}

/**
 * The kind's fields of a run's outcome (problems/types.ts ProblemSummary.outcome): the clearing
 * prices and every community's purchases and bill.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * import { marketOutcome, marketSeries } from "./verifier.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const o = marketOutcome(marketSeries(m, solveMarketVariant(m, "optimal").certificate));
 * console.log(o.prices.heatCnyPerMwh.map((h) => h.toFixed(2)), o.communities.length); // [ "204.71", "176.47", "191.23" ] 12
 * ```
 */
export function marketOutcome(series: MarketSeries): MarketOutcome {
  return {
    prices: {
      electricityCnyPerMwh: series.prices.electricityCnyPerMwh,
      heatCnyPerMwh: [...series.prices.heatCnyPerMwh],
    },
    communities: series.communities.map((c) => ({
      id: c.id,
      gasMw: c.gasMw,
      electricityMw: c.electricityMw,
      heatMw: c.heatMw,
      billCny: c.billCny,
    })),
  };
}

/** The columns of a market block's settlement ({@link marketSettlement}), units in their names. */
export const MARKET_SETTLEMENT_COLUMNS: readonly string[] = ["gasMw", "electricityMw", "heatMw", "billCny"];

/**
 * What a block of a market run records (problems/types.ts Settlement): every community's gas,
 * electricity and heat purchases (MW for the hour, negative: sold) and its bill at the proposed
 * prices (CNY), read from the certificate with the day's market, without checking it.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * import { marketSettlement } from "./verifier.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const s = marketSettlement(m, solveMarketVariant(m, "optimal").certificate);
 * console.log(s.party, s.columns, s.rows[4].id, s.rows[4].values[3].toFixed(0)); // community [ "gasMw", "electricityMw", "heatMw", "billCny" ] 5 -353914
 * ```
 */
export function marketSettlement(model: MarketModel, cert: Certificate): Settlement {
  return {
    party: "community",
    columns: [...MARKET_SETTLEMENT_COLUMNS],
    rows: marketSeries(model, cert).communities.map((c) => ({
      id: c.id,
      values: [c.gasMw, c.electricityMw, c.heatMw, c.billCny],
    })),
  };
}
