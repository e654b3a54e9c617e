// The published price iteration as a protocol of messages (consensus/iteration.ts, actors/iteration_runner.ts,
// problems/market/iteration_protocol.ts): the honest run reproduces the pure iteration round for round,
// and each published behaviour does what it does in the published code, against majority acceptance and
// blacklisting.
import nodeAssert from "node:assert/strict";
import {
  type DelegateEvil,
  type IterationEffect,
  newCommunity,
  newIterationDelegate,
  stepCommunity,
  stepIterationDelegate,
} from "../consensus/iteration.ts";
import { simulateIteration } from "../actors/iteration_runner.ts";
import { loadMarketCase, type MarketCase, WUZHONG_120_URL, WUZHONG_12_URL } from "../problems/market/case.ts";
import { ENERGY_MARKET } from "../problems/market/kind.ts";
import { marketSeries } from "../problems/market/verifier.ts";
import { priceIteration } from "../problems/market/iteration.ts";
import {
  type MarketIterationOptions,
  type MarketIterationReport,
  marketIterationReport,
  marketIterationSetup,
  runMarketIteration,
} from "../problems/market/iteration_protocol.ts";
import { checkOutgoing } from "../actors/iteration_workers.ts";
import { iterationStatement, openIterationMessage, sealIterationMessage } from "../actors/iteration_auth.ts";
import { seedKeyPair, sign } from "../actors/keys.ts";
import { runMarketIterationOnWorkers } from "../problems/iteration_spec.ts";
import { buildMarketModel } from "../problems/market/model.ts";
import { bestResponse } from "../problems/market/response.ts";
import { simpleAddSetup } from "../problems/simple-add/protocol.ts";
import { loadScenarioFile, parseScenario, ScenarioError } from "../scenarios/loader.ts";
import {
  renderIterationTrace,
  renderSimpleAddTrace,
  runIterationScenario,
  runSimpleAddScenario,
} from "../cli/iteration.ts";

function assert(v: unknown, msg?: string): void {
  nodeAssert.ok(v, msg);
}
const assertEquals = (a: unknown, b: unknown) => nodeAssert.deepStrictEqual(a, b);
const assertAlmostEquals = (a: number, b: number, tol: number) =>
  nodeAssert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);
const assertGreater = (a: number, b: number) => nodeAssert.ok(a > b, `${a} is not > ${b}`);
const assertLess = (a: number, b: number) => nodeAssert.ok(a < b, `${a} is not < ${b}`);

/** The delegates of the published 12-community configuration. */
const DELEGATES = [10, 11, 12];
/** The exact equilibrium of the 12-community case, CNY/MWh: electricity, then heat per zone. */
const EXACT = [639.5726, 204.7105, 176.4711, 191.2253];
/** The published final prices (honest, 12 communities), CNY/MWh. */
const PUBLISHED = [639.9197, 204.0022, 176.3863, 190.8092];

const theCase: MarketCase = await loadMarketCase(WUZHONG_12_URL);
const honest: MarketIterationReport = runMarketIteration(theCase, { delegates: DELEGATES });

/** An honest delegate_evil, to spread one behaviour into. */
const NONE: DelegateEvil = {
  priceIgnore: [],
  priceTarget: [],
  priceRate: 1,
  priceComponents: [0, 1, 2],
  broadcastIgnore: [],
  broadcastCollusion: [],
  broadcastTarget: [],
  broadcastRate: 1,
};

function run(options: Partial<MarketIterationOptions>): MarketIterationReport {
  return runMarketIteration(theCase, { delegates: DELEGATES, ...options });
}

function pricesOf(r: MarketIterationReport): number[] {
  return [r.outcome.prices.electricityCnyPerMwh, ...r.outcome.prices.heatCnyPerMwh];
}

function zoneOf(id: number): number {
  return buildMarketModel(theCase, 1).communities.find((c) => c.id === id)!.zone;
}

function community(r: MarketIterationReport, id: number) {
  return r.outcome.communities.find((c) => c.id === id)!;
}

Deno.test("honest, 12 communities: the protocol computes the pure iteration round for round", () => {
  const pure = priceIteration(buildMarketModel(theCase, 1));
  assert(honest.converged);
  assertEquals(honest.rounds, pure.rounds);
  assertEquals(honest.trajectory.length, pure.trajectory.length);
  honest.trajectory.forEach((t, k) => {
    assertEquals(t.electricityCnyPerMwh, pure.trajectory[k].prices.electricity);
    assertEquals(t.heatCnyPerMwh, pure.trajectory[k].prices.heat);
  });
  assertEquals(honest.blacklists, []);
  assertEquals(honest.timeouts, 0);
  // Per round: 12 demands to 3 delegates, each forwarded to 2 others, 3 × 12 price messages.
  assertEquals(honest.messages, honest.rounds * (12 * 3 + 12 * 3 * 2 + 3 * 12));
});

Deno.test("honest, 12 communities: prices within 0.01 CNY/MWh of the equilibrium and 0.5 % of the published", () => {
  pricesOf(honest).forEach((p, k) => {
    assertAlmostEquals(p, EXACT[k], 0.01);
    assertLess(Math.abs(p - PUBLISHED[k]) / PUBLISHED[k], 0.005);
  });
});

Deno.test("honest: every community's purchases are its best response to the final prices, and its bill", () => {
  const model = buildMarketModel(theCase, 1);
  const e = honest.outcome.prices.electricityCnyPerMwh;
  for (const c of model.communities) {
    const h = honest.outcome.prices.heatCnyPerMwh[c.zone];
    const r = bestResponse(c, { gas: model.gasPrice, electricity: e, heat: h });
    const got = community(honest, c.id);
    assertEquals([got.gasMw, got.electricityMw, got.heatMw], [r.gas, r.electricity, r.heat]);
    assertAlmostEquals(got.billCny, model.gasPrice * r.gas + e * r.electricity + h * r.heat, 1e-6);
  }
  // The market clears: the communities' electricity purchases sum to about zero (no grid import).
  const net = honest.outcome.communities.reduce((s, c) => s + c.electricityMw, 0);
  assertLess(Math.abs(net), 0.05);
});

Deno.test("the published cheat: a majority of delegates shows community 5 0.4 × the electricity price", () => {
  const cheat: DelegateEvil = { ...NONE, priceTarget: [5], priceRate: 0.4, priceComponents: [1] };
  const r = run({ delegateEvil: new Map([[10, cheat], [11, cheat]]) });
  assert(r.converged);
  const five = community(r, 5), fiveHonest = community(honest, 5);
  // It sees 0.4 × the market's electricity price, and only that price is scaled.
  assertAlmostEquals(five.seenCnyPerMwh.electricity, 0.4 * r.outcome.prices.electricityCnyPerMwh, 1e-9);
  assertEquals(five.seenCnyPerMwh.heat, r.outcome.prices.heatCnyPerMwh[zoneOf(5)]);
  assertEquals(five.seenCnyPerMwh.gas, r.outcome.prices.gasCnyPerMwh);
  // It withdraws its supply (it sold electricity; now it sells less or buys) and the price rises.
  assertLess(fiveHonest.electricityMw, 0);
  assertGreater(five.electricityMw, fiveHonest.electricityMw + 1);
  assertGreater(r.outcome.prices.electricityCnyPerMwh, honest.outcome.prices.electricityCnyPerMwh + 1);
  assertEquals(r.blacklists, []);
});

Deno.test("price_components: the published code scales every price (gas, electricity, heat)", () => {
  const all: DelegateEvil = { ...NONE, priceTarget: [5], priceRate: 0.4 };
  const r = run({ delegateEvil: new Map([[10, all], [11, all]]) });
  const five = community(r, 5);
  assertAlmostEquals(five.seenCnyPerMwh.gas, 0.4 * r.outcome.prices.gasCnyPerMwh, 1e-9);
  assertAlmostEquals(five.seenCnyPerMwh.electricity, 0.4 * r.outcome.prices.electricityCnyPerMwh, 1e-9);
  assertAlmostEquals(five.seenCnyPerMwh.heat, 0.4 * r.outcome.prices.heatCnyPerMwh[zoneOf(5)], 1e-9);
});

Deno.test("majority acceptance: one cheating delegate of three changes nothing", () => {
  const cheat: DelegateEvil = { ...NONE, priceTarget: [5], priceRate: 0.4, priceComponents: [1] };
  const r = run({ delegateEvil: new Map([[10, cheat]]) });
  assertEquals(pricesOf(r), pricesOf(honest));
  assertEquals(r.rounds, honest.rounds);
  assertEquals(community(r, 5), community(honest, 5));
});

Deno.test("the published blacklist case: community 1 sends a delegate other demands, is caught in round 0 and leaves", () => {
  const r = run({ normalEvil: new Map([[1, { demandIgnore: [], demandTarget: [10], demandRate: 0.1 }]]) });
  assert(r.converged);
  // Every delegate holds two different copies of its demand, so all three blacklist it at once.
  const caught = r.blacklists.map((b) => [b.delegate, b.community, b.round]).sort((a, b) => a[0] - b[0]);
  assertEquals(caught, [[10, 1, 0], [11, 1, 0], [12, 1, 0]]);
  // Its demand counts as nothing: the prices differ from the honest market's.
  assertGreater(Math.max(...pricesOf(r).map((p, k) => Math.abs(p - pricesOf(honest)[k]))), 1);
  assertEquals(r.trajectory.every((t) => t.dissenters.length === 0), true);
});

Deno.test("demand_ignore: a delegate left out gets the demand forwarded; nobody is blacklisted, prices unchanged", () => {
  const r = run({ normalEvil: new Map([[2, { demandIgnore: [10], demandTarget: [], demandRate: 1 }]]) });
  assertEquals(r.blacklists, []);
  assertEquals(pricesOf(r), pricesOf(honest));
  // Delegate 10 never holds all copies: its round ends on a timeout.
  assertGreater(r.timeouts, 0);
});

Deno.test("broadcast_collusion: a delegate that forwards a community's demand altered gets it blacklisted by the target", () => {
  const framer: DelegateEvil = { ...NONE, broadcastCollusion: [3], broadcastTarget: [11], broadcastRate: 2 };
  const r = run({ delegateEvil: new Map([[10, framer]]) });
  assertEquals(r.blacklists.map((b) => [b.delegate, b.community, b.round]), [[11, 3, 0]]);
  // Delegate 11 now computes other prices, but the communities take those of 10 and 12.
  assert(r.trajectory.some((t) => t.dissenters.includes(11)));
  assertEquals(pricesOf(r), pricesOf(honest));
});

Deno.test("broadcast_ignore and price_ignore: withheld messages time out; prices unchanged", () => {
  const r = run({
    delegateEvil: new Map([[10, { ...NONE, broadcastIgnore: [11], priceIgnore: [4] }]]),
  });
  assertEquals(r.blacklists, []);
  assertEquals(pricesOf(r), pricesOf(honest));
  assertGreater(r.timeouts, 0);
});

Deno.test("demand_target with two delegates: copies disagree, both delegates blacklist the community", () => {
  const r = runMarketIteration(theCase, {
    delegates: [11, 12],
    normalEvil: new Map([[7, { demandIgnore: [], demandTarget: [12], demandRate: 3 }]]),
  });
  assertEquals(r.blacklists.map((b) => b.community), [7, 7]);
});

Deno.test("no prices with the votes of half of the delegates: the community keeps its prices", () => {
  // Two delegates, one shows community 1 other prices: each message has one vote of two.
  // (A SimpleAdd-like iteration: communities answer p + 1, delegates sum.)
  const evil: DelegateEvil = { ...NONE, priceTarget: [1], priceRate: 10, priceComponents: [0] };
  const sum = {
    update: (_p: number[], a: Map<number, number[] | null>, k: number) => ({
      prices: [[...a.values()].reduce((s, v) => s + (v?.[0] ?? 0), 0)],
      change: 1,
      done: k + 1 >= 3,
    }),
    pricesFor: (p: number[]) => p,
  };
  const r = simulateIteration({
    communities: [1, 2].map((id) => ({ id, delegates: [8, 9], startPrices: [0], answer: (p) => [p[0] + 1] })),
    delegates: [8, 9].map((id) => ({
      id,
      delegates: [8, 9],
      communities: [1, 2],
      startPrices: [0],
      rule: sum,
      ...(id === 9 ? { evil } : {}),
    })),
    maxRounds: 10,
  });
  const one = r.communities.find((c) => c.id === 1)!;
  const two = r.communities.find((c) => c.id === 2)!;
  assertGreater(one.noMajorityRounds, 0);
  assertEquals(one.prices, [0]);
  assertEquals(two.noMajorityRounds, 0);
  // Community 1 keeps answering 1 (its prices stay 0); community 2 answers the sums.
  assertEquals(r.trajectory.map((t) => t.prices[0]), [0, 2, 4, 6]);
});

Deno.test("attacks on the machines: forged senders, malformed and oversized vectors, duplicates are dropped", () => {
  const rule = { update: () => ({ prices: [1], change: 0, done: true }), pricesFor: (p: number[]) => p };
  const d = newIterationDelegate({ id: 9, delegates: [8, 9], communities: [1, 2], startPrices: [0], rule });
  const note = (effects: { type: string }[]) => effects.length === 1 && effects[0].type === "note";
  // A demand from a node that is not a community, a forward from a non-delegate, of a non-community.
  assert(
    note(
      stepIterationDelegate(d, {
        type: "message",
        message: { kind: "demand", round: 0, from: 7, values: [1] },
      }),
    ),
  );
  assert(note(stepIterationDelegate(d, {
    type: "message",
    message: { kind: "forward", round: 0, from: 1, origin: 2, values: [1] },
  })));
  assert(note(stepIterationDelegate(d, {
    type: "message",
    message: { kind: "forward", round: 0, from: 8, origin: 7, values: [1] },
  })));
  // NaN, a string, a vector longer than the cap.
  for (const values of [[NaN], ["1"], new Array(65).fill(0)]) {
    assert(note(stepIterationDelegate(d, {
      type: "message",
      message: { kind: "demand", round: 0, from: 1, values: values as number[] },
    })));
  }
  // A round far ahead or behind.
  assert(
    note(
      stepIterationDelegate(d, {
        type: "message",
        message: { kind: "demand", round: 5, from: 1, values: [1] },
      }),
    ),
  );
  // A second demand from the same community this round.
  const first = stepIterationDelegate(d, {
    type: "message",
    message: { kind: "demand", round: 0, from: 1, values: [1] },
  });
  assert(first.some((e) => e.type === "send"));
  assert(
    note(
      stepIterationDelegate(d, {
        type: "message",
        message: { kind: "demand", round: 0, from: 1, values: [2] },
      }),
    ),
  );
  assertEquals(d.copyCount, 1);
  // A community drops prices from a non-delegate, a second message of a delegate, and a demand.
  const c = newCommunity({ id: 1, delegates: [8, 9], startPrices: [0], answer: (p) => p });
  stepCommunity(c, { type: "start" });
  assert(
    note(
      stepCommunity(c, {
        type: "message",
        message: { kind: "prices", round: 1, from: 2, values: [5], done: false },
      }),
    ),
  );
  assertEquals(
    stepCommunity(c, {
      type: "message",
      message: { kind: "prices", round: 1, from: 8, values: [5], done: false },
    }),
    [],
  );
  assert(
    note(
      stepCommunity(c, {
        type: "message",
        message: { kind: "prices", round: 1, from: 8, values: [6], done: false },
      }),
    ),
  );
  assert(
    note(stepCommunity(c, { type: "message", message: { kind: "demand", round: 0, from: 8, values: [6] } })),
  );
});

// ---------------------------------------------------------------------------
// Scenario files (scenarios/loader.ts, cli/iteration.ts)

Deno.test("market12-iteration.yaml: the honest market as a scenario; --json's outcome fields", async () => {
  const s = await loadScenarioFile("scenarios/market12-iteration.yaml");
  const r = await runIterationScenario(s);
  assertEquals(pricesOf(r), pricesOf(honest));
  assertEquals(r.delegates, [10, 11, 12]);
  assertEquals(r.behaviours, []);
  const json = JSON.parse(JSON.stringify(r));
  assertEquals(Object.keys(json.outcome.prices).sort(), [
    "electricityCnyPerMwh",
    "gasCnyPerMwh",
    "heatCnyPerMwh",
  ]);
  assertEquals(json.outcome.prices.heatCnyPerMwh.length, 3);
  for (const c of json.outcome.communities) {
    for (const k of ["id", "gasMw", "electricityMw", "heatMw", "billCny"]) {
      assertEquals(typeof c[k], "number");
    }
  }
  assertEquals(json.trajectory.length, r.rounds + 1);
  const trace = renderIterationTrace(r);
  assert(trace.includes("converged after 78 rounds"), trace);
  assert(trace.includes("electricity 639.5678"), trace);
  assert(
    /\nNotices:\n {2}scene\.class: MultiEnergyPark, .*runs here as that iteration \(not PoSo\)/.test(trace),
    trace,
  );
});

Deno.test("market12-iteration-cheat.yaml and -blacklist.yaml do what their comments say", async () => {
  const cheat = await runIterationScenario(await loadScenarioFile("scenarios/market12-iteration-cheat.yaml"));
  assertEquals(cheat.rounds, 299);
  assertAlmostEquals(cheat.outcome.prices.electricityCnyPerMwh, 730.58, 0.005);
  assertAlmostEquals(community(cheat, 5).seenCnyPerMwh.electricity, 292.23, 0.005);
  assertAlmostEquals(community(cheat, 5).electricityMw, -334.176, 0.001);
  assertEquals(cheat.blacklists, []);
  assertEquals(cheat.behaviours, [
    "delegate 10 shows communities 5 electricity price × 0.4",
    "delegate 11 shows communities 5 electricity price × 0.4",
  ]);
  const bl = await runIterationScenario(
    await loadScenarioFile("scenarios/market12-iteration-blacklist.yaml"),
  );
  assertEquals(bl.rounds, 41);
  assertEquals(bl.blacklists.map((b) => [b.delegate, b.community, b.round]).sort((a, b) => a[0] - b[0]), [
    [10, 1, 0],
    [11, 1, 0],
    [12, 1, 0],
  ]);
  assertAlmostEquals(bl.outcome.prices.electricityCnyPerMwh, 667.74, 0.005);
  assert(renderIterationTrace(bl).includes("(blacklisted: not counted)"));
});

Deno.test("normal_evil and delegate_evil are checked: ids of the right role, rates, components, keys", () => {
  const file = (node1: string, node10: string) =>
    [
      "scene: {class: a.MultiEnergyPark, params: {price_tolerance: 0.01}}",
      "nodes:",
      `  1: {is_delegate: no, is_normal: yes${node1}}`,
      `  10: {is_delegate: yes, is_normal: yes${node10}}`,
      "  11: {is_delegate: yes, is_normal: yes}",
    ].join("\n") + "\n";
  const s = parseScenario(
    file(", normal_evil: {demand_ignore: [11]}", ", delegate_evil: {price_components: [gas]}"),
    "x.yaml",
  );
  assertEquals(s.iteration?.tolerance, 0.01);
  assertEquals(s.participants[0].normalEvil?.demandIgnore, [11]);
  // Empty lists configure nothing: honest.
  assertEquals(s.participants[1].delegateEvil, undefined);
  const bad: [string, string, RegExp, string][] = [
    [
      ", normal_evil: {demand_target: [1]}",
      "",
      /1 is not a delegate \(10, 11\)/,
      "nodes.1.normal_evil.demand_target[0]",
    ],
    [
      ", normal_evil: {demand_rate: -1}",
      "",
      /expected a number from 0 to 1000/,
      "nodes.1.normal_evil.demand_rate",
    ],
    [", normal_evil: {demand_rat: 2}", "", /did you mean demand_rate\?/, "nodes.1.normal_evil.demand_rat"],
    [
      "",
      ", delegate_evil: {price_target: [99]}",
      /99 is not a normal node/,
      "nodes.10.delegate_evil.price_target[0]",
    ],
    [
      "",
      ", delegate_evil: {price_components: [cooling]}",
      /expected one of gas, electricity, heat/,
      "nodes.10.delegate_evil.price_components[0]",
    ],
    [
      "",
      ", delegate_evil: {broadcast_target: 11}",
      /expected a list/,
      "nodes.10.delegate_evil.broadcast_target",
    ],
    [", delegate_evil: {price_ignore: [10]}", "", /only a delegate/, "nodes.1.delegate_evil"],
  ];
  for (const [n1, n10, detail, keyPath] of bad) {
    try {
      parseScenario(file(n1, n10), "x.yaml");
      assert(false, `${n1}${n10} loaded`);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      assertEquals(e.keyPath, keyPath);
      assert(detail.test(e.detail), e.detail);
    }
  }
  // price_tolerance out of range; outside an iteration scene normal_evil is only a notice.
  nodeAssert.throws(
    () => parseScenario(file("", "").replace("price_tolerance: 0.01", "price_tolerance: 0"), "x.yaml"),
    /price_tolerance: expected a number from 1e-9 to 1000/,
  );
  const poso = parseScenario(
    file(", normal_evil: {demand_target: [10]}", "").replace(
      "a.MultiEnergyPark, params: {price_tolerance: 0.01}",
      "a.SimpleSum",
    ),
    "x.yaml",
  );
  assertEquals(poso.participants[0].normalEvil, undefined);
  assert(poso.notices.some((n) => /normal_evil.*not implemented/.test(n)));
});

Deno.test("120 communities: the iteration converges and agrees with the PoSo clearing within 0.01 CNY/MWh", async () => {
  const big = await loadMarketCase(WUZHONG_120_URL);
  const ids = big.communities.map((c) => c.id).sort((a, b) => a - b);
  // As market120's comparison bench: the three highest ids are the delegates.
  const r = runMarketIteration(big, { delegates: ids.slice(-3) });
  assert(r.converged, `stopped after ${r.rounds} rounds`);
  assertEquals(r.blacklists, []);
  // PoSo: the leader's optimal proposal, accepted by the certificate check; its prices are its duals.
  const problem = ENERGY_MARKET.problemFor(big, { height: 1, loadFactor: 1 });
  const { certificate } = await problem.solve("optimal");
  assertEquals(problem.verifier.verify(certificate).verdict, "accepted");
  const poso = marketSeries(buildMarketModel(big, 1), certificate);
  assertEquals(r.outcome.heatZones, poso.heatZones);
  assertEquals(r.outcome.heatZones.length, 30);
  assertAlmostEquals(r.outcome.prices.electricityCnyPerMwh, poso.prices.electricityCnyPerMwh, 0.01);
  r.outcome.prices.heatCnyPerMwh.forEach((h, k) => assertAlmostEquals(h, poso.prices.heatCnyPerMwh[k], 0.01));
  // Every community's purchases, the answer to the final prices, agree with PoSo's allocation (MW).
  const tolMw = 0.05;
  for (const c of r.outcome.communities) {
    const p = poso.communities.find((x) => x.id === c.id)!;
    assertAlmostEquals(c.electricityMw, p.electricityMw, tolMw);
    assertAlmostEquals(c.heatMw, p.heatMw, tolMw);
  }
});

// ---------------------------------------------------------------------------
// Workers (actors/iteration_workers.ts)

Deno.test("on Workers: the same run as the simulator, timeouts and blacklisting included", async () => {
  const options: MarketIterationOptions = {
    delegates: DELEGATES,
    normalEvil: new Map([
      [1, { demandIgnore: [], demandTarget: [10], demandRate: 0.1 }],
      [2, { demandIgnore: [11], demandTarget: [], demandRate: 1 }],
    ]),
  };
  const onWorkers = await runMarketIterationOnWorkers(theCase, options);
  const simulated = simulateIteration(marketIterationSetup(buildMarketModel(theCase, 1), options));
  assert(onWorkers.converged);
  assertGreater(onWorkers.timeouts, 0);
  assertEquals(onWorkers.blacklists.map((b) => b.community), [1, 1, 1]);
  assertEquals(onWorkers.trajectory, simulated.trajectory);
  assertEquals(onWorkers.communities, simulated.communities);
  assertEquals([onWorkers.rounds, onWorkers.messages, onWorkers.bytes, onWorkers.timeouts], [
    simulated.rounds,
    simulated.messages,
    simulated.bytes,
    simulated.timeouts,
  ]);
});

// ---------------------------------------------------------------------------
// SimpleAdd (problems/simple-add/protocol.ts): the same iteration with a trivial answer

Deno.test("SimpleAdd: sums, plus one, for final_round rounds; SendToDelegateDifferently gets nodes blacklisted", async () => {
  const nodes = (behaviour: string) =>
    [
      "scene:",
      `  class: x.${behaviour ? "SimpleAddEvilNormal" : "SimpleAdd"}`,
      `  params: {final_round: 5${behaviour}}`,
      "nodes:",
      "  1: {is_delegate: yes, is_normal: yes}",
      "  2: {is_delegate: yes, is_normal: no}",
      "  3: {is_delegate: no, is_normal: yes}",
    ].join("\n") + "\n";
  const honestRun = await runSimpleAddScenario(parseScenario(nodes(""), "a.yaml"));
  // Two normal nodes start at 1: sums 2, then 2 × 3 = 6, 2 × 7 = 14, 2 × 15 = 30 (final_round 5: 4 sums).
  assertEquals(honestRun.trajectory.map((t) => t.sum), [0, 2, 6, 14, 30]);
  assertEquals(honestRun.outcome.nodes.map((n) => n.value), [31, 31]);
  const evil = await runSimpleAddScenario(
    parseScenario(nodes(", behaviour: SendToDelegateDifferently, delegates_to_forward: [2]"), "b.yaml"),
  );
  // Both normal nodes send 0 to delegate 1 and their number to 2: every copy pair differs.
  assertEquals(evil.blacklists.map((b) => `${b.delegate}:${b.community}`).sort(), [
    "1:1",
    "1:3",
    "2:1",
    "2:3",
  ]);
  assertEquals(evil.outcome.sum, 0);
  const some = await runSimpleAddScenario(
    parseScenario(nodes(", behaviour: SendToSomeDelegate, delegates_to_forward: [2]"), "c.yaml"),
  );
  // Delegate 1 gets the numbers forwarded by 2: nobody is blacklisted, the sums are the honest ones.
  assertEquals(some.trajectory.map((t) => t.sum), [0, 2, 6, 14, 30]);
  assertEquals(some.blacklists, []);
  assertGreater(some.timeouts, 0);
  assert(renderSimpleAddTrace(some).includes("Sums by round: 0, 2, 6, 14, 30"));
});

Deno.test("the Worker runner: a forged sender is stamped with the real one; oversized or stray messages are dropped", () => {
  const send = (to: number, message: unknown) => ({ type: "send", to, message }) as IterationEffect;
  const out = checkOutgoing(3, [
    send(10, { kind: "demand", round: 0, from: 5, values: [1, 2, 3] }),
    send(10, { kind: "demand", round: 0, from: 3, values: new Array(1000).fill(1.2345) }),
    send(99, { kind: "demand", round: 0, from: 3, values: [1] }),
    send(10, { kind: "vote", round: 0, from: 3 }),
    send(10, null),
  ], [3, 10]);
  const sends = out.filter((e) => e.type === "send");
  assertEquals(sends.length, 1);
  assertEquals(sends[0].type === "send" && sends[0].message.from, 3);
  const notes = out.filter((e) => e.type === "note").map((e) => e.type === "note" ? e.text : "");
  assertEquals(notes.length, 5);
  assert(notes[0].includes("claiming to be 5"));
  assert(/bytes, more than 4096/.test(notes[1]));
  assert(notes[2].includes("not a participant"));
  assert(notes[3].includes("not a message of the iteration"));
});

Deno.test("at least half: with two delegates, the prices of one (the other sent none) are taken", async () => {
  const r = await runSimpleAddScenario(parseScenario(
    [
      "scene: {class: x.SimpleAdd, params: {final_round: 4}}",
      "nodes:",
      "  1: {is_delegate: yes, is_normal: yes}",
      "  2: {is_delegate: yes, is_normal: yes}",
    ].join("\n") + "\n",
    "a.yaml",
  ));
  assertEquals(r.trajectory.map((t) => t.sum), [0, 2, 6, 14]);
  // The same with delegate 2 sending node 1 nothing: node 1 follows delegate 1 alone (one vote of two).
  const setup = simpleAddSetup({ normals: [1, 2], delegates: [1, 2], finalRound: 4 });
  setup.delegates[1].evil = {
    priceIgnore: [1],
    priceTarget: [],
    priceRate: 1,
    priceComponents: [0],
    broadcastIgnore: [],
    broadcastCollusion: [],
    broadcastTarget: [],
    broadcastRate: 1,
  };
  const run = simulateIteration(setup);
  assertEquals(run.trajectory.map((t) => t.prices[0]), [0, 2, 6, 14]);
  assertEquals(run.communities.map((c) => c.noMajorityRounds), [0, 0]);
});

// ---------------------------------------------------------------------------
// Signed messages on Workers (actors/iteration_auth.ts)

Deno.test("signed iteration messages: a message opens only at its recipient, in its run, unaltered, under its sender's key", async () => {
  const [k3, k10, k11] = await Promise.all([3, 10, 11].map((id) => seedKeyPair(1, id)));
  const publicKeys = { 3: k3.publicKey, 10: k10.publicKey, 11: k11.publicKey };
  const demand = { kind: "demand" as const, round: 2, from: 3, values: [1.5, -2, 3] };
  const sealed = await sealIterationMessage(k3, "run-a", 10, demand);
  const open = (at: number, envelope: unknown, run = "run-a") =>
    openIterationMessage(publicKeys, run, at, envelope);
  const ok = await open(10, sealed);
  assertEquals(ok, { ok: true, message: demand });
  const rejected = async (at: number, envelope: unknown, why: RegExp, run?: string) => {
    const r = await open(at, envelope, run);
    assert(!r.ok && why.test(r.why), `accepted or wrong reason: ${JSON.stringify(r)}`);
  };
  // Replayed to another delegate (where it would make the community's copies differ), or in another run.
  await rejected(11, sealed, /bad signature/);
  await rejected(10, sealed, /bad signature/, "run-b");
  // Altered values, another claimed sender, a signature by another key.
  await rejected(10, { ...sealed, body: sealed.body.replace("1.5", "0.15") }, /bad signature/);
  await rejected(
    10,
    { ...sealed, body: sealed.body.replace('"from":3', '"from":11') },
    /claims to be from 11/,
  );
  await rejected(
    10,
    await sealIterationMessage(k11, "run-a", 10, { ...demand, from: 11 }).then((s) => ({
      body: sealed.body,
      sig: s.sig,
    })),
    /bad signature/,
  );
  // Malformed envelopes never throw.
  for (
    const [bad, why] of [
      [null, /not a signed message/],
      [{ body: 1, sig: "x" }, /not a signed message/],
      [{ body: "x".repeat(5000), sig: sealed.sig }, /longer than/],
      [{ body: "{", sig: sealed.sig }, /not JSON/],
      [{ body: "[]", sig: sealed.sig }, /not a message/],
      [{ body: '{"from":99,"kind":"demand"}', sig: sealed.sig }, /not a participant/],
      [{ body: '{"from":"__proto__","kind":"demand"}', sig: sealed.sig }, /not a participant/],
      [{ body: sealed.body, sig: "A".repeat(200) }, /malformed signature/],
    ] as [unknown, RegExp][]
  ) await rejected(10, bad, why);
});

Deno.test("on Workers: forged and altered demands and prices are dropped, counted and noted; the run ends as the honest one", async () => {
  const simulated = simulateIteration(
    marketIterationSetup(buildMarketModel(theCase, 1), { delegates: DELEGATES }),
  );
  // Delegate 10's prices for community 5 in round 3 (known: the run is deterministic), with 0.4 × the
  // electricity price, signed as "10" by a key that is not 10's (sign() is async: it is made up front).
  const attacker = await seedKeyPair(666, 10);
  const p3 = simulated.trajectory[3].prices;
  const forgedBody = JSON.stringify({
    kind: "prices",
    round: 3,
    from: 10,
    values: [p3[0], p3[1] * 0.4, p3[2 + zoneOf(5)]],
    done: false,
  });
  const forgedSig = await sign(attacker, iterationStatement("test-run", 5, forgedBody));
  const tampered: string[] = [];
  const run = await runMarketIterationOnWorkers(theCase, { delegates: DELEGATES }, {
    runId: "test-run",
    tamper: (from, to, envelope) => {
      const m = JSON.parse(envelope.body);
      if (m.kind === "demand" && from === 3 && to === 10 && m.round === 2) {
        tampered.push("altered demand");
        return { ...envelope, body: JSON.stringify({ ...m, values: m.values.map((v: number) => v * 0.1) }) };
      }
      if (m.kind === "demand" && from === 4 && to === 11 && m.round === 5) {
        tampered.push("impersonation");
        return { ...envelope, body: JSON.stringify({ ...m, from: 7 }) };
      }
      if (m.kind === "prices" && from === 10 && to === 5 && m.round === 3) {
        tampered.push("forged prices");
        assertEquals(JSON.parse(forgedBody).values[2], m.values[2]);
        return { body: forgedBody, sig: forgedSig };
      }
      return envelope;
    },
  });
  assertEquals(tampered.sort(), ["altered demand", "forged prices", "impersonation"]);
  assertEquals(run.signatures?.rejected, 3);
  assertEquals(run.signatures!.verified + 3, run.messages);
  const dropped = run.notes.filter((n) => /dropped a message: bad signature/.test(n));
  assertEquals(dropped.length, 3);
  assert(dropped.some((n) => /participant 11 .*claims to be from 7/.test(n)), dropped.join("\n"));
  // Every dropped message was also sent by another way (forwards of the demand, the other delegates'
  // prices): nobody is blacklisted and the run is the honest one, after the timeouts of the waits.
  assertEquals(run.blacklists, []);
  assertGreater(run.timeouts, 0);
  assertEquals(run.trajectory, simulated.trajectory);
  assertEquals(run.communities, simulated.communities);
  // The trace shows the count and the notes.
  const report = marketIterationReport(buildMarketModel(theCase, 1), run, 1e-3);
  const trace = renderIterationTrace({
    ...report,
    scenario: "tampered",
    runtime: "workers",
    delegates: DELEGATES,
    behaviours: [],
    notices: [],
    signatures: run.signatures,
  });
  assert(/Signatures: \d+ messages verified, 3 rejected \(forged or altered: dropped\)/.test(trace), trace);
  assert(trace.includes("dropped a message: bad signature"));
});
