/**
 * The energy market (problems/market): the exact clearing against the
 * reference equilibrium of the 12-community Wuzhong case, the 120-community
 * case, the certificate's three checks (feasible for the true curves, within
 * a cent of the Lagrangian bound, prices that clear every market) against
 * the published cheat, a costlier feasible allocation, an infeasible one and
 * prices shifted just enough to keep the gap tiny, the exact best response,
 * the published price iteration, the case loader's errors, the problem kind
 * behind the contract, and one simulated block under Scenario I's leader.
 */
import assert from "node:assert/strict";
import { type Certificate, describeVerdict, type Verdict } from "../lp/certificate.ts";
import { CaseError } from "../problems/case_error.ts";
import { problemKind } from "../problems/registry.ts";
import {
  loadMarketCase,
  type MarketCase,
  MAX_MARKET_CASE_BYTES,
  parseMarketCase,
  WUZHONG_120_URL,
  WUZHONG_12_URL,
} from "../problems/market/case.ts";
import { buildMarketModel, type MarketModel } from "../problems/market/model.ts";
import { clearMarket, MarketClearingError } from "../problems/market/equilibrium.ts";
import {
  checkMarketCertificate,
  CLEARING_TOLERANCE_MW,
  FEASIBILITY_TOLERANCE_MW,
  GAP_TOLERANCE_CNY,
  marketCost,
} from "../problems/market/checker.ts";
import { bestResponse, communityCostBound, plantCost } from "../problems/market/response.ts";
import { priceIteration } from "../problems/market/iteration.ts";
import {
  ALTERNATIVE_SHIFT_MW,
  CHEAT_ELECTRICITY_FACTOR,
  cheatedCommunity,
  makeMarketCertificate,
  solveMarketVariant,
} from "../problems/market/variants.ts";
import type { MarketSeries } from "../problems/market/verifier.ts";
import { ENERGY_MARKET, marketProblem } from "../problems/market/kind.ts";
import { PROPOSAL_VARIANTS } from "../consensus/types.ts";
import { loadProposalBook, simConfigFor, simulate } from "../actors/simulator.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { tmpDir } from "./helpers.ts";

/** The exact equilibrium of the 12-community case, solved independently of this code: CNY/h and CNY/MWh. */
const REFERENCE_12 = {
  costCny: 1_686_957.15,
  electricity: 639.5726,
  heat: [204.7105, 176.4711, 191.2253],
};

/** The published iteration's final prices (12 communities, honest), CNY/MWh. */
const PUBLISHED_FINAL_12 = { electricity: 639.9197, heat: [204.0022, 176.3863, 190.8092] };

/** The gap the published final prices leave on the exact allocation, as measured independently of this code, CNY/h. */
const PUBLISHED_PRICES_GAP_CNY = 1.0;

const raw12 = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await Deno.readTextFile(WUZHONG_12_URL));
let case12: Promise<MarketCase> | undefined, case120: Promise<MarketCase> | undefined;
const day = (c: MarketCase, factor = 1) => buildMarketModel(c, factor);
const model12 = async () => day(await (case12 ??= loadMarketCase(WUZHONG_12_URL)));
let shared12: MarketModel | undefined;
/** One day-1 model of the 12-community case shared by the tests (its variants are cached on it). */
const m12 = async () => shared12 ??= await model12();

const cert = (m: MarketModel, x: ArrayLike<number>, y: ArrayLike<number>): Certificate =>
  makeMarketCertificate(m, x, y, "test");
const maxPriceGap = (
  a: { electricity: number; heat: number[] },
  b: { electricity: number; heat: number[] },
) => Math.max(Math.abs(a.electricity - b.electricity), ...a.heat.map((h, k) => Math.abs(h - b.heat[k])));

Deno.test("market: the 12-community clearing is the reference equilibrium (cost, prices, no outside supply)", async () => {
  const m = await m12();
  const { prices, gridMw, heatPlantMw, x } = solveMarketVariant(m, "optimal").clearing;
  const cost = marketCost(m, x);
  // The reference is given to the cent: the cost rounds to it (3e-9 relative).
  assert.ok(Math.abs(cost - REFERENCE_12.costCny) <= 0.005, `cost ${cost}`);
  // The reference is given to 4 decimals: the prices round to it.
  assert.ok(
    Math.abs(prices.electricity - REFERENCE_12.electricity) <= 5e-5,
    `electricity ${prices.electricity}`,
  );
  prices.heat.forEach((h, k) => assert.ok(Math.abs(h - REFERENCE_12.heat[k]) <= 5e-5, `zone ${k + 1}: ${h}`));
  assert.equal(gridMw, 0);
  assert.deepEqual(heatPlantMw, [0, 0, 0]);
  // Against the published iteration's final prices: within 0.5 % (they differ by up to 0.35 %).
  assert.ok(maxPriceGap(prices, PUBLISHED_FINAL_12) / 176 < 0.005);
});

Deno.test("market: every allocation's community runs its best response and every market balances", async () => {
  const m = await m12();
  const { x, prices } = solveMarketVariant(m, "optimal").clearing;
  let sumE = 0;
  const sumH = [0, 0, 0];
  m.communities.forEach((c) => {
    const r = bestResponse(c, {
      gas: m.gasPrice,
      electricity: prices.electricity,
      heat: prices.heat[c.zone],
    });
    assert.deepEqual(Array.from(x.subarray(c.col, c.col + c.width)), Array.from(r.x), `community ${c.id}`);
    sumE += r.electricity;
    sumH[c.zone] += r.heat;
  });
  assert.ok(Math.abs(sumE) < 1e-7, `electricity ${sumE}`);
  sumH.forEach((h, k) => assert.ok(Math.abs(h) < 1e-7, `zone ${k + 1}: ${h}`));
});

Deno.test("market: the 120-community case clears, its certificate is accepted, zones at the plant price buy from it", async () => {
  const m = day(await (case120 ??= loadMarketCase(WUZHONG_120_URL)));
  const c = clearMarket(m);
  const v = checkMarketCertificate(m, cert(m, c.x, c.y));
  assert.equal(v.verdict, "accepted", describeVerdict(v));
  assert.ok("gapUsd" in v && Math.abs(v.gapUsd) <= GAP_TOLERANCE_CNY);
  // A zone whose plant supplies part of its demand clears at exactly the plant's price.
  const marginal = m.zones.map((z, k) => [z, k] as const).filter(([z, k]) =>
    c.heatPlantMw[k] > 0 && c.heatPlantMw[k] < z.max
  );
  assert.ok(marginal.length > 0, "some heat plant is marginal in the 120-community case");
  for (const [z, k] of marginal) assert.equal(c.prices.heat[k], z.price, `zone ${z.id}`);
  // The published iteration, with exact best responses, converges to the same prices.
  const it = priceIteration(m, { keepTrajectory: false });
  assert.ok(it.converged);
  assert.ok(maxPriceGap(it.prices, c.prices) < 0.01, `iteration off by ${maxPriceGap(it.prices, c.prices)}`);
});

Deno.test("market: a market that cannot clear is an error naming it", async () => {
  const raw = await raw12();
  const communities = raw.communities as { heat_zone: number; load_mw: { heat: number } }[];
  for (const c of communities) if (c.heat_zone === 2) c.load_mw.heat *= 20;
  const m = day(parseMarketCase(raw));
  assert.throws(
    () => clearMarket(m),
    (e) =>
      e instanceof MarketClearingError &&
      /^the heat market of zone 2 does not clear at any price up to 10000000 CNY\/MWh \(demand [\d.]+ MW against a supply of 0 MW\)$/
        .test(e.message),
  );
});

Deno.test("market: the best response is exact: its cost equals the community's Lagrangian bound, at any prices", async () => {
  const m = await m12();
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < 200; k++) {
    const c = m.communities[k % m.communities.length];
    const p = { gas: 50 + 600 * rand(), electricity: -100 + 1600 * rand(), heat: -50 + 500 * rand() };
    const r = bestResponse(c, p);
    const cost = p.gas * r.gas + p.electricity * r.electricity + p.heat * r.heat + plantCost(c, r.plant);
    const b = communityCostBound(c, p, r.coolingPrice);
    // Feasible and as cheap as the bound: optimal (up to rounding, relative to the terms' magnitudes).
    assert.ok(
      Math.abs(cost - b.value) <= 1e-9 * (b.magnitude + Math.abs(cost)),
      `community ${c.id} at ${JSON.stringify(p)}`,
    );
    let cooling = 0;
    for (const d of c.devices) {
      const input = r.x[d.col - c.col];
      assert.ok(input >= d.min && input <= d.max);
      d.outputs.forEach((o, j) => {
        const out = r.x[d.col - c.col + 1 + j];
        assert.ok(out >= 0 && out <= o.a * input * input + o.c * input + 1e-12);
        if (o.commodity === "cooling") cooling += out;
      });
    }
    assert.ok(Math.abs(cooling - c.loadCooling) < 1e-9, `cooling ${cooling} vs ${c.loadCooling}`);
    // Any other cooling multiplier gives a bound that is no higher (weak duality).
    assert.ok(communityCostBound(c, p, r.coolingPrice * 1.5 + 1).value <= b.value + 1e-9 * b.magnitude);
  }
});

Deno.test("market: the Lagrangian bound never exceeds the optimum, whatever the prices", async () => {
  const m = await m12();
  const opt = solveMarketVariant(m, "optimal").costCny;
  const { x } = solveMarketVariant(m, "optimal").clearing;
  let seed = 11;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < 50; k++) {
    const y = [300 + 900 * rand(), 100 + 200 * rand(), 100 + 200 * rand(), 100 + 200 * rand()];
    const v = checkMarketCertificate(m, cert(m, x, y));
    assert.ok("lowerBound" in v && v.lowerBound <= opt, `${v.verdict} at ${y}`);
  }
});

/** The verdict of the day-1 12-community variant, checked by a follower that built the market itself. */
async function verdictOf(variant: (typeof PROPOSAL_VARIANTS)[number]): Promise<Verdict> {
  const leader = await m12(), follower = await model12();
  return checkMarketCertificate(follower, solveMarketVariant(leader, variant).certificate);
}

Deno.test("market certificate: accepts the optimum and the alternative, a follower's own build", async () => {
  const opt = await verdictOf("optimal");
  assert.equal(opt.verdict, "accepted", describeVerdict(opt));
  assert.ok("gapUsd" in opt && opt.gapUsd >= 0 && opt.gapUsd < 1e-4, `gap ${"gapUsd" in opt && opt.gapUsd}`);
  assert.equal((await verdictOf("alternative")).verdict, "accepted");
  const m = await m12();
  const [a, b] = [solveMarketVariant(m, "optimal"), solveMarketVariant(m, "alternative")];
  assert.notDeepEqual(a.certificate.x, b.certificate.x);
  assert.ok(
    Math.abs(
      (b.certificate.x[m.communities[0].col + 1] - a.certificate.x[m.communities[0].col + 1]) -
        ALTERNATIVE_SHIFT_MW,
    ) < 1e-12,
  );
  assert.ok(Array.from(a.certificate.y).every((v) => !Object.is(v, -0)));
});

Deno.test("market certificate: rejects the published cheat (community 5 sees 0.4 × the electricity price)", async () => {
  const m = await m12();
  const cheat = solveMarketVariant(m, "selfish");
  const i = cheatedCommunity(m);
  assert.equal(m.communities[i].id, 5);
  // The cheated community sells less electricity and the price rises (the published tables' story).
  const honest = solveMarketVariant(m, "optimal").clearing;
  assert.ok(cheat.clearing.responses[i].electricity > honest.responses[i].electricity + 100);
  assert.ok(cheat.clearing.prices.electricity > honest.prices.electricity + 10);
  assert.equal(CHEAT_ELECTRICITY_FACTOR, 0.4);
  const v = await verdictOf("selfish");
  assert.equal(v.verdict, "suboptimal", describeVerdict(v));
  assert.ok("gapUsd" in v && v.gapUsd > 1000, describeVerdict(v));
  // With the gap waived, the check still names community 5 as not answering the proposed prices.
  const waived = checkMarketCertificate(m, cheat.certificate, { gapToleranceCny: Infinity });
  assert.equal(waived.verdict, "mispriced");
  assert.match(
    describeVerdict(waived),
    /community 5 is allocated -?[\d.]+ MW of (gas|electricity|heat), but at the proposed prices/,
  );
});

Deno.test("market certificate: rejects a feasible costlier allocation as suboptimal and an infeasible one naming the curve", async () => {
  const feasible = await verdictOf("feasible");
  assert.equal(feasible.verdict, "suboptimal", describeVerdict(feasible));
  assert.ok("gapUsd" in feasible && feasible.gapUsd > 1000);
  assert.equal(feasible.maxViolation <= FEASIBILITY_TOLERANCE_MW, true);
  const corrupt = await verdictOf("corrupt");
  assert.equal(corrupt.verdict, "infeasible");
  assert.match(
    describeVerdict(corrupt),
    /row community 1 chp\[0\] (electricity|heat) curve \(output <= a·in² \+ c·in\)/,
  );
  const m = await m12();
  assert.ok(
    solveMarketVariant(m, "corrupt").costCny < solveMarketVariant(m, "optimal").costCny,
    "it looks cheaper",
  );
});

Deno.test("market certificate: names the failing row, bound or market, with MW tolerances stated", async () => {
  const m = await m12();
  const { x, y } = solveMarketVariant(m, "optimal").clearing;
  const with_ = (j: number, dv: number) => {
    const x2 = Float64Array.from(x);
    x2[j] += dv;
    return describeVerdict(checkMarketCertificate(m, cert(m, x2, y)));
  };
  const c5 = m.communities[4];
  // An electricity purchase 2 W off: the balance and the market both fail; the worst is named.
  assert.match(
    with_(c5.col + 1, 2e-6),
    /rejected as infeasible: row (community 5 electricity balance|electricity market)/,
  );
  // Within the tolerance: accepted (0.5 W).
  assert.match(with_(c5.col + 1, 0.5e-6), /^accepted/);
  // A plant above its maximum by any amount: a bound, exact.
  assert.match(
    with_(c5.col + 3, 1e-9),
    /rejected as infeasible: bound community 5 power plant output = 1050\.0000 is 1\.000e-9 above its upper bound 1050/,
  );
  // Negative grid supply.
  assert.match(with_(m.gridCol, -1e-9), /bound grid supply/);
  // A heat plant that supplies without a buyer: the zone's market does not balance.
  assert.match(
    with_(m.gridCol + 1, 1),
    /rejected as infeasible: row heat market of zone 1 \(Σ purchases = heat plant supply\)/,
  );
});

Deno.test("market certificate: prices shifted so little that the gap stays under a cent are rejected as mispriced", async () => {
  const m = await m12();
  const { x, y } = solveMarketVariant(m, "optimal").clearing;
  for (const [k, shift] of [[0, 0.005], [2, 0.005], [3, -0.005]] as const) {
    const y2 = Array.from(y);
    y2[k] += shift;
    const v = checkMarketCertificate(m, cert(m, x, y2));
    assert.ok(
      "gapUsd" in v && v.gapUsd < GAP_TOLERANCE_CNY,
      `gap ${"gapUsd" in v && v.gapUsd}: the bound is flat`,
    );
    assert.equal(v.verdict, "mispriced", describeVerdict(v));
    const text = describeVerdict(v);
    assert.match(
      text,
      /^rejected as mispriced: community \d+ is allocated .* MW of \w+, but at the proposed prices/,
    );
    assert.match(text, new RegExp(`off by [\\d.e-]+ MW \\(tolerance ${CLEARING_TOLERANCE_MW} MW\\)`));
  }
  // The published final prices: the gap is about 1 CNY (the bound is flat: 0.7 CNY/MWh off in a zone).
  const v = checkMarketCertificate(
    m,
    cert(m, x, [PUBLISHED_FINAL_12.electricity, ...PUBLISHED_FINAL_12.heat]),
  );
  assert.equal(v.verdict, "suboptimal");
  assert.ok(
    "gapUsd" in v && Math.abs(v.gapUsd - PUBLISHED_PRICES_GAP_CNY) < 0.05,
    `gap ${"gapUsd" in v && v.gapUsd}`,
  );
});

Deno.test("market certificate: a seller that supplies at a price where it would not is named", async () => {
  const m = day(await (case120 ??= loadMarketCase(WUZHONG_120_URL)));
  const c = clearMarket(m);
  const k = c.heatPlantMw.findIndex((q, j) => q > 0 && c.prices.heat[j] === m.zones[j].price);
  const y2 = Array.from(c.y);
  y2[1 + k] -= 1e-4; // just below the plant's price, with the plant still supplying
  const v = checkMarketCertificate(m, cert(m, c.x, y2));
  assert.equal(v.verdict, "mispriced", describeVerdict(v));
  assert.match(
    describeVerdict(v),
    new RegExp(
      `the heat plant of zone ${
        m.zones[k].id
      } supplies [\\d.]+ MW at a price of .* below its own 206.1: it would supply 0 MW`,
    ),
  );
});

Deno.test("market certificate: malformed input gets a verdict, never an exception", async () => {
  const m = await m12();
  const { x, y } = solveMarketVariant(m, "optimal").clearing;
  const ok = cert(m, x, y);
  const check = (c: unknown) => checkMarketCertificate(m, c);
  for (
    const [c, reason] of [
      [null, /not an object/],
      [{ ...ok, format: "x" }, /format/],
      [{ ...ok, lpId: "sha256:00" }, /wrong market/],
      [{ ...ok, x: Array.from(ok.x).slice(1) }, /x has 164 entries, the market has 165/],
      [{ ...ok, y: [1, 2, 3, "4"] }, /y\[3\] is "4", not a finite number/],
      [{ ...ok, y: [NaN, 2, 3, 4] }, /y\[0\] is NaN/],
      [{ ...ok, y: [1e300, 2, 3, 4] }, /outside ±1000000 CNY\/MWh/],
      [{ ...ok, x: "abc" }, /x is not an array/],
    ] as const
  ) {
    const v = check(c);
    assert.equal(v.verdict, "malformed");
    assert.match(describeVerdict(v), reason);
  }
  // Another day's certificate is for another market.
  const day2 = day(await (case12 ??= loadMarketCase(WUZHONG_12_URL)), 1.02);
  assert.notEqual(day2.id, m.id);
  assert.equal(checkMarketCertificate(day2, ok).verdict, "malformed");
  // Extreme but allowed prices: a verdict (the bound is valid at any prices).
  assert.equal(check(cert(m, x, [-1e6, 1e6, -1e6, 0])).verdict, "suboptimal");
});

Deno.test("market iteration: converges in about 78 rounds to within 0.007 CNY/MWh of the exact equilibrium", async () => {
  const m = await m12();
  const exact = solveMarketVariant(m, "optimal").clearing;
  const r = priceIteration(m);
  assert.ok(r.converged);
  assert.ok(r.rounds >= 70 && r.rounds <= 90, `${r.rounds} rounds`);
  assert.equal(r.trajectory.length, r.rounds + 1);
  assert.ok(maxPriceGap(r.prices, exact.prices) <= 0.0075, `off by ${maxPriceGap(r.prices, exact.prices)}`);
  // The start: gas 0.9 × its price, electricity half the grid's, heat 200; gas reset after the first update.
  assert.deepEqual(r.trajectory[0].prices, {
    gas: 0.9 * 318,
    electricity: 0.5 * 994.7,
    heat: [200, 200, 200],
  });
  assert.equal(r.trajectory[1].prices.gas, 318);
  // The last round's change is below the tolerance, the one before is not.
  assert.ok(r.trajectory[r.rounds].change < 1e-3 && r.trajectory[r.rounds - 1].change >= 1e-3);
  // Every community's answer at the last prices agrees with its exact equilibrium purchases within 0.05 MW.
  r.trajectory[r.rounds].answers.forEach((a, i) => {
    const e = exact.responses[i];
    for (const k of ["gas", "electricity", "heat"] as const) {
      assert.ok(Math.abs(a![k] - e[k]) < 0.05, `community ${m.communities[i].id} ${k}: ${a![k]} vs ${e[k]}`);
    }
  });
  // The published runs stopped at 1e-2: fewer rounds, further off.
  const loose = priceIteration(m, { tolerance: 1e-2, keepTrajectory: false });
  assert.ok(loose.rounds < r.rounds && loose.trajectory.length === 2);
});

Deno.test("market iteration: the published cheat raises the prices; a community left out changes them", async () => {
  const m = await m12();
  const honest = priceIteration(m, { keepTrajectory: false });
  const i5 = cheatedCommunity(m);
  const cheated = priceIteration(m, {
    keepTrajectory: false,
    answer: (i, p) => {
      const r = bestResponse(m.communities[i], i === i5 ? { ...p, electricity: 0.4 * p.electricity } : p);
      return { gas: r.gas, electricity: r.electricity, heat: r.heat };
    },
  });
  assert.ok(cheated.converged && cheated.prices.electricity > honest.prices.electricity + 10);
  // Agrees with PoSo's clearing of the same manipulated market.
  assert.ok(maxPriceGap(cheated.prices, solveMarketVariant(m, "selfish").clearing.prices) < 0.01);
  const without1 = priceIteration(m, {
    keepTrajectory: false,
    answer: (i, p, round) => {
      if (i === 0 && round >= 2) return null;
      const r = bestResponse(m.communities[i], p);
      return { gas: r.gas, electricity: r.electricity, heat: r.heat };
    },
  });
  assert.ok(without1.converged && maxPriceGap(without1.prices, honest.prices) > 1);
});

/** The raw case as JSON, edited freely by the tests (any field, any type). */
// deno-lint-ignore no-explicit-any
type RawCase = Record<string, any>;

/** The CaseError parsing `edit(raw 12-community case)` throws. */
async function caseError(edit: (c: RawCase) => void): Promise<CaseError> {
  const c = await raw12();
  edit(c);
  try {
    parseMarketCase(c, "w.json");
  } catch (e) {
    if (e instanceof CaseError) return e;
    throw e;
  }
  assert.fail("no error");
}

Deno.test("market case: every bad field is refused naming it", async () => {
  const cases: [(c: RawCase) => void, string, RegExp][] = [
    [
      (c) => c.gas_price_cny_per_mhw = 1,
      "gas_price_cny_per_mhw",
      /unknown key; did you mean gas_price_cny_per_mwh\?/,
    ],
    [(c) => delete c.grid, "grid", /missing field/],
    [(c) => c.grid.export = true, "grid.export", /must be false/],
    [(c) => c.grid.max_mw = "3353", "grid.max_mw", /expected a finite number, found the string "3353"/],
    [
      (c) => c.gas_price_cny_per_mwh = -1,
      "gas_price_cny_per_mwh",
      /expected a number in \[0, 1000000\], found -1/,
    ],
    [
      (c) => c.communities[2].chp[0].electricity.a = 0.1,
      "communities[2].chp[0].electricity.a",
      /in \[-1000, 0\)/,
    ],
    [
      (c) => c.communities[2].chp[0].gas_min_mw = 400,
      "communities[2].chp[0].gas_min_mw",
      /in \[0, 320\], found 400/,
    ],
    [
      (c) => c.communities[0].cerg[0].cooling.a = -0.1,
      "communities[0].cerg[0].cooling.a",
      /peaks at x = 15 MW, not beyond electricity_max_mw = 40 MW/,
    ],
    [
      (c) => c.communities[0].load_mw.cooling = 500,
      "communities[0].load_mw.cooling",
      /exceeds the community's cooling capacity/,
    ],
    [(c) => c.communities[1].id = 1, "communities[1].id", /id 1 is also communities\[0\]'s/],
    [(c) => c.communities[1].heat_zone = 9, "communities[1].heat_zone", /zone 9 has no heat plant/],
    [
      (c) => c.heat_plants.push({ ...c.heat_plants[0], heat_zone: 4 }),
      "heat_plants[3].heat_zone",
      /no community is in zone 4/,
    ],
    [
      (c) => c.heat_plants[1].heat_zone = 1,
      "heat_plants[1].heat_zone",
      /zone 1 already has heat_plants\[0\]/,
    ],
    [
      (c) => c.communities[0].power_plant.cost_cny_per_h.quadratic = 0,
      "communities[0].power_plant.cost_cny_per_h.quadratic",
      /in \(0, 1000000\]/,
    ],
    [
      (c) => c.communities[0].chp = Array(17).fill(c.communities[0].chp[0]),
      "communities[0].chp",
      /expected 0 to 16 entries, found 17/,
    ],
    [(c) => c.communities[0].id = 1.5, "communities[0].id", /expected an integer/],
    [
      (c) => c.communities[0].gshp[0].heat = [1, 2],
      "communities[0].gshp[0].heat",
      /expected an object, found an array/,
    ],
    [(c) => c.communities = [], "communities", /expected 1 to 2000 entries, found 0/],
    [(c) => c.name = " ", "name", /must not be empty/],
    [(c) => c.corrections = [1], "corrections[0]", /expected a string/],
  ];
  for (const [edit, path, detail] of cases) {
    const e = await caseError(edit);
    assert.equal(e.path, path, e.message);
    assert.match(e.message, detail);
    assert.ok(e.message.startsWith(`w.json: ${path}: `), e.message);
  }
});

Deno.test("market case: the bundled cases load, keep their corrections, and validate again as they are", async () => {
  const c = await (case12 ??= loadMarketCase(WUZHONG_12_URL));
  assert.equal(c.corrections.length, 3);
  assert.deepEqual(parseMarketCase(structuredClone(c)), c);
  const big = await (case120 ??= loadMarketCase(WUZHONG_120_URL));
  assert.equal(big.communities.length, 120);
  assert.equal(big.heat_plants.length, 30);
  // Key order does not change the day's market.
  const raw = await raw12();
  const reversed = { ...raw, communities: [...(raw.communities as unknown[])].reverse() };
  assert.equal(day(parseMarketCase(reversed)).id, day(c).id);
  // Files: not JSON, too large.
  const dir = await tmpDir("market-case");
  await Deno.writeTextFile(`${dir}/bad.json`, "{ nope");
  await assert.rejects(loadMarketCase(`${dir}/bad.json`), /bad\.json: \(root\): not valid JSON/);
  await assert.rejects(
    loadMarketCase("/dev/zero"),
    new RegExp(`larger than ${MAX_MARKET_CASE_BYTES / 2 ** 20} MiB`),
  );
  await assert.rejects(loadMarketCase(`${dir}/none.json`), /cannot read case file: no such file/);
});

Deno.test("market kind: registered, one problem per day, every variant with the verdict its role expects", async () => {
  assert.equal(problemKind("energy-market"), ENERGY_MARKET);
  const c = await ENERGY_MARKET.loadCase(ENERGY_MARKET.defaultCase);
  const p1 = ENERGY_MARKET.problemFor(c, { height: 1, loadFactor: 1 });
  const p2 = ENERGY_MARKET.problemFor(c, { height: 2, loadFactor: 1.03 });
  assert.notEqual(p1.id, p2.id);
  const m2 = (p2 as ReturnType<typeof marketProblem>).model;
  assert.ok(Math.abs(m2.communities[0].loadElectricity - 1.03 * c.communities[0].load_mw.electricity) < 1e-9);
  assert.equal(m2.communities[0].loadCooling, c.communities[0].load_mw.cooling);
  assert.deepEqual(p1.shape, { x: 165, y: 4 });
  const expected = {
    optimal: "accepted",
    selfish: "suboptimal",
    feasible: "suboptimal",
    corrupt: "infeasible",
    alternative: "accepted",
  };
  assert.deepEqual([...p1.variants], [...PROPOSAL_VARIANTS]);
  for (const variant of p1.variants) {
    const { certificate, costUsd } = await p1.solve(variant);
    assert.equal(p1.verifier.verify(certificate).verdict, expected[variant], variant);
    assert.ok(Math.abs(p1.verifier.costUsd(certificate) - costUsd) < 1e-6, variant);
    const t = p1.verifier.tamper(certificate);
    assert.equal(p1.verifier.verify(t).verdict, "infeasible", `tampered ${variant}`);
    assert.notEqual(p1.verifier.digest(t), p1.verifier.digest(certificate));
  }
  for (const junk of [null, {}, { x: null }, { x: [1] }, { x: "x" }]) {
    assert.ok(Number.isNaN(p1.verifier.costUsd(junk as unknown as Certificate)));
  }
  const opt = (await p1.solve("optimal")).certificate;
  const s = p1.summary(opt);
  const series = s.series as MarketSeries;
  assert.match(s.verdict, /^accepted/);
  assert.equal(series.communities.length, 12);
  assert.equal(series.prices.heatCnyPerMwh.length, 3);
  const c5 = series.communities[4];
  assert.ok(
    Math.abs(
      c5.billCny -
        (318 * c5.gasMw + series.prices.electricityCnyPerMwh * c5.electricityMw +
          series.prices.heatCnyPerMwh[1] * c5.heatMw),
    ) < 1e-6,
  );
  // The bills and the plants' costs add up to the market's cost (no outside supply, balanced markets).
  const total = series.communities.reduce((t, k) => t + k.costCny, 0);
  assert.ok(Math.abs(total - series.totalCostCny) < 1e-3, `${total} vs ${series.totalCostCny}`);
});

Deno.test("market kind under Scenario I's leader C in the simulator: C's cheat is rejected, D's clearing accepted", async () => {
  const s = await loadScenarioFile("scenarios/scenario1.yaml");
  const scenario = { ...s, name: `energy market, ${s.name}`, problem: "energy-market", casePath: undefined };
  const problem = marketProblem(await m12());
  const { report } = await simulate(
    problem.verifier,
    await loadProposalBook(problem),
    simConfigFor(scenario),
  );
  const [r1, r2] = report.rounds;
  assert.equal(r1.leader, "C");
  assert.ok(
    r1.rejected.F.some((t) => / suboptimal \(gap ¥[\d,]+\.\d\d\)$/.test(t)),
    JSON.stringify(r1.rejected),
  );
  assert.equal(r2.leader, "D");
  for (const d of ["D", "E", "F", "G"]) assert.equal(r2.decision[d], "commit", d);
  assert.equal(report.outcome?.leader, "D");
  assert.ok(
    Math.abs((report.outcome?.costUsd ?? 0) - REFERENCE_12.costCny) < 1,
    JSON.stringify(report.outcome),
  ); // the report rounds to whole units
});
