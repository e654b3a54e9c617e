/**
 * The follower's certificate check: verdicts on the four proposal variants,
 * malformed certificates, a hand-made LP whose optimum is known exactly, and
 * property tests that no perturbed certificate gets a non-optimal dispatch
 * accepted or a lower bound above the optimum. The variants are GLPK's solves
 * of the bundled case, read from the cached proposal book
 * (tests/consensus_fixture.ts).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ALTERNATIVE_SLACK_USD,
  buildDispatchModel,
  type Certificate,
  CERTIFICATE_FORMAT,
  checkCertificate,
  describeVerdict,
  FEASIBILITY_TOLERANCE,
  GAP_TOLERANCE_USD,
  LpBuilder,
  makeCertificate,
  objectiveValue,
  rowActivities,
  solveLp,
  type SparseLp,
  type Verdict,
} from "../mod.ts";
import { bookVariant as variant, fixtureModel as uomModel } from "./consensus_fixture.ts";
import { mulberry32 } from "../actors/simulator.ts";

function expectVerdict<K extends Verdict["verdict"]>(v: Verdict, kind: K): Extract<Verdict, { verdict: K }> {
  assert.equal(v.verdict, kind, describeVerdict(v));
  return v as Extract<Verdict, { verdict: K }>;
}

function expectMalformed(lp: SparseLp, cert: unknown, reason: RegExp): void {
  const v = expectVerdict(checkCertificate(lp, cert), "malformed");
  assert.match(v.reason, reason);
}

// ---------------------------------------------------------------------------
// The proposal variants of the UoM case

Deno.test("optimal certificate is accepted with a gap of at most one cent", async () => {
  const { lp } = await uomModel();
  const v = expectVerdict(checkCertificate(lp, (await variant("optimal")).certificate), "accepted");
  assert.ok(v.gapUsd >= 0 && v.gapUsd <= GAP_TOLERANCE_USD, `gap ${v.gapUsd}`);
  assert.ok(v.lowerBound <= v.objective, `bound ${v.lowerBound} above objective ${v.objective}`);
});

Deno.test("selfish certificate is rejected as suboptimal with a gap of about $160", async () => {
  const { lp } = await uomModel();
  const v = expectVerdict(checkCertificate(lp, (await variant("selfish")).certificate), "suboptimal");
  // docs/model.md: about $904 against $744.
  assert.ok(v.gapUsd > 150 && v.gapUsd < 170, `gap ${v.gapUsd}`);
});

Deno.test("a dispatch cheaper than the optimum through violations each within the tolerance is rejected as infeasible", async () => {
  const { lp } = await uomModel();
  const opt = (await variant("optimal")).certificate;
  // Every entry scaled down by 0.99 × the tolerance: thousands of balance rows fall short, each by less
  // than the tolerance, and the dispatch looks cheaper than the optimum.
  const shrink = 1 - 0.99 * FEASIBILITY_TOLERANCE;
  const x = Array.from(opt.x, (v) => v * shrink);
  const short = rowActivities(lp, x).filter((ax, i) => ax < lp.rowLower[i] || ax > lp.rowUpper[i]).length;
  assert.ok(short > 1000, `${short} rows violated`);
  const v = expectVerdict(checkCertificate(lp, makeCertificate(lp, x, opt.y)), "infeasible");
  assert.ok(v.maxViolation < FEASIBILITY_TOLERANCE, `largest violation ${v.maxViolation} of its scale`);
  assert.ok(v.gapUsd < 0, `gap ${v.gapUsd}`);
  assert.ok(v.belowBound, describeVerdict(v));
  // About $0.0007 below the bound, while rounding explains at most about $1e-11.
  assert.ok(v.belowBound.usd > 1e-4 && v.belowBound.usd < 1e-3, `below by $${v.belowBound.usd}`);
  assert.ok(v.belowBound.roundingBoundUsd < 1e-9, `rounding bound $${v.belowBound.roundingBoundUsd}`);
  assert.match(describeVerdict(v), /below the proven lower bound .* though each violation is within/);
  // The optimum itself is well clear of the rule: its gap is positive.
  const o = expectVerdict(checkCertificate(lp, opt), "accepted");
  assert.ok(o.gapUsd > 0, `gap ${o.gapUsd}`);
});

Deno.test("feasible (grid-heavy) certificate is rejected as suboptimal", async () => {
  const { lp } = await uomModel();
  const v = expectVerdict(checkCertificate(lp, (await variant("feasible")).certificate), "suboptimal");
  assert.ok(v.gapUsd > GAP_TOLERANCE_USD, `gap ${v.gapUsd}`);
});

Deno.test("corrupt certificate is rejected as infeasible and the verdict names a row", async () => {
  const { lp } = await uomModel();
  const v = expectVerdict(checkCertificate(lp, (await variant("corrupt")).certificate), "infeasible");
  assert.equal(v.worst.kind, "row");
  assert.ok(lp.rowNames.includes(v.worst.name), `${v.worst.name} is not a row of the LP`);
  assert.equal(lp.rowNames[v.worst.index], v.worst.name);
  assert.ok(v.worst.amount > 0, `amount ${v.worst.amount}`);
});

Deno.test("alternative certificate: another dispatch, also accepted, within the slack of the optimum", async () => {
  const model = await uomModel();
  const opt = await variant("optimal");
  const alt = await variant("alternative");
  const v = expectVerdict(checkCertificate(model.lp, alt.certificate), "accepted");
  assert.ok(v.gapUsd <= GAP_TOLERANCE_USD, `gap ${v.gapUsd}`);
  assert.ok(
    alt.lpObjectiveUsd <= opt.lpObjectiveUsd + ALTERNATIVE_SLACK_USD + 1e-6,
    `alternative $${alt.lpObjectiveUsd}, optimum $${opt.lpObjectiveUsd}`,
  );
  assert.equal(Math.round(alt.costUsd), Math.round(opt.costUsd));
  // A different dispatch: its storage is held as full as the near-optimal face allows.
  const x0 = opt.certificate.x, x1 = alt.certificate.x;
  let moved = 0;
  for (let j = 0; j < x0.length; j++) moved = Math.max(moved, Math.abs(x1[j] - x0[j]));
  assert.ok(moved > 1, `the alternative moves no variable by more than ${moved}`);
  const stored = (x: ArrayLike<number>) =>
    model.layout.hubs.reduce(
      (s, h) => [...h.batteryEnergyKwh, ...h.tankEnergyKwh].reduce((t, j) => t + x[j], s),
      0,
    );
  assert.ok(stored(x1) >= stored(x0) - 1e-6, `stored ${stored(x1)} kWh < ${stored(x0)} kWh`);
});

Deno.test("deleting the costliest grid import of the optimum is rejected as infeasible at the grid bus", async () => {
  // Independent of the `corrupt` variant: a cheaper-looking day that breaks a power balance.
  const model = await uomModel();
  const { x, y } = (await variant("optimal")).certificate;
  const prices = model.ies.grid.import_price_usd_per_kwh;
  const imports = model.layout.gridImportKw;
  const t = imports.reduce((best, j, h) => prices[h] * x[j] > prices[best] * x[imports[best]] ? h : best, 0);
  const removedKw = x[imports[t]];
  assert.ok(removedKw > 1, `grid import ${removedKw} kW in hour ${t + 1}`);
  const tampered = Array.from(x);
  tampered[imports[t]] = 0;
  const v = expectVerdict(checkCertificate(model.lp, makeCertificate(model.lp, tampered, y)), "infeasible");
  assert.ok(v.objective < objectiveValue(model.lp, x), "the tampered day looks cheaper");
  assert.equal(v.worst.kind, "row");
  assert.equal(v.worst.name, `bus${model.ies.grid.bus}.p[t${String(t + 1).padStart(2, "0")}]`);
  assert.ok(Math.abs(v.worst.amount - removedKw) < 1e-6, `amount ${v.worst.amount}, removed ${removedKw}`);
});

// ---------------------------------------------------------------------------
// Malformed certificates

Deno.test("malformed certificates are rejected with a reason", async (t) => {
  const model = await uomModel();
  const { lp } = model;
  const good = (await variant("optimal")).certificate;
  const x = Array.from(good.x), y = Array.from(good.y);
  const withX = (v: unknown[]) => ({ ...good, x: v });
  const withY = (v: unknown[]) => ({ ...good, y: v });

  await t.step("x too short", () => expectMalformed(lp, withX(x.slice(0, -1)), /^x has \d+ entries/));
  await t.step("y too long", () => expectMalformed(lp, withY([...y, 0]), /^y has \d+ entries/));
  await t.step("x missing", () => expectMalformed(lp, { ...good, x: undefined }, /x is not an array/));
  await t.step("NaN in x", () => {
    const bad = [...x];
    bad[17] = NaN;
    expectMalformed(lp, withX(bad), /x\[17\] is NaN/);
  });
  await t.step("Infinity in y", () => {
    const bad = [...y];
    bad[5] = Infinity;
    expectMalformed(lp, withY(bad), /y\[5\] is Infinity/);
  });
  await t.step("a string in x", () => {
    const bad: unknown[] = [...x];
    bad[3] = "12.5";
    expectMalformed(lp, withX(bad), /x\[3\] is "12\.5", not a finite number/);
  });
  await t.step("null certificate", () => expectMalformed(lp, null, /not an object/));
  await t.step("a number as certificate", () => expectMalformed(lp, 42, /not an object/));
  await t.step(
    "wrong format",
    () => expectMalformed(lp, { ...good, format: "poso-certificate/0" }, /format/),
  );
  await t.step("certificate for another case", () => {
    // The same system with 1 kW of load moved between two buses: the same rows, columns
    // and column bounds (the generous limits depend on the total load only), but other
    // row bounds, so only the fingerprint of the row bounds tells the two LPs apart.
    const ies = structuredClone(model.ies);
    ies.electric.buses[1].p_kw += 1;
    ies.electric.buses[2].p_kw -= 1;
    const other = buildDispatchModel(ies);
    assert.deepEqual(other.lp.colNames, lp.colNames);
    assert.deepEqual(other.lp.rowNames, lp.rowNames);
    assert.deepEqual([other.lp.lower, other.lp.upper], [lp.lower, lp.upper]);
    assert.notDeepEqual(other.lp.rowLower, lp.rowLower);
    expectMalformed(other.lp, good, /wrong case/);
    // The lpId is what tells them apart: relabelled, the certificate is checked on its numbers.
    const relabelled = makeCertificate(other.lp, x, y);
    assert.notEqual(checkCertificate(other.lp, relabelled).verdict, "malformed");
  });
});

// ---------------------------------------------------------------------------
// A hand-made LP with a known optimum, independent of GLPK

/**
 *   min 0.5 + x1 + 2 x2 + 0 x3
 *   demand:  x1 + x2 >= 3
 *   floor:        -x2 <= 0      (slack at the optimum; its only finite side is the upper one)
 *   link:    x1 - x3  = 0
 *   x1 in [0, 10], x2 in [0.5, 10], x3 in [-5, 2]
 *
 * Optimum x = (2, 1, 2), objective 4.5, with the unique duals y = (2, 0, -1):
 * x2 is strictly inside its bounds so z2 = 2 - y_demand = 0; x1 likewise, so
 * z1 = 1 - y_demand - y_link = 0; then z3 = y_link = -1 with x3 at its upper
 * bound, and the bound is 0.5 + 2·3 + 0 + min(-1·-5, -1·2) = 4.5.
 */
function tinyLp(): SparseLp {
  const b = new LpBuilder("tiny");
  const x1 = b.addCol("x1", 0, 10, 1);
  const x2 = b.addCol("x2", 0.5, 10, 2);
  const x3 = b.addCol("x3", -5, 2, 0);
  b.addConstant(0.5);
  b.addRow("demand", 3, Infinity, [[x1, 1], [x2, 1]]);
  b.addRow("floor", -Infinity, 0, [[x2, -1]]);
  b.addEq("link", 0, [[x1, 1], [x3, -1]]);
  return b.build();
}
const TINY_OPTIMUM = 4.5;
const TINY_X = [2, 1, 2];
const TINY_Y = [2, 0, -1];

Deno.test("hand-made LP: the exact optimum and duals are accepted with a tight bound", () => {
  const lp = tinyLp();
  const v = expectVerdict(checkCertificate(lp, makeCertificate(lp, TINY_X, TINY_Y)), "accepted");
  assert.equal(v.objective, TINY_OPTIMUM);
  assert.ok(v.lowerBound <= TINY_OPTIMUM, `bound ${v.lowerBound}`);
  assert.ok(v.lowerBound > TINY_OPTIMUM - 1e-12, `bound ${v.lowerBound} is needlessly loose`);
  assert.ok(v.gapUsd >= 0 && v.gapUsd < 1e-12, `gap ${v.gapUsd}`);
  assert.equal(v.maxViolation, 0);
});

Deno.test("hand-made LP: GLPK agrees with the optimum derived by hand", async () => {
  const sol = await solveLp(tinyLp());
  assert.ok(Math.abs(sol.objective - TINY_OPTIMUM) < 1e-9, `GLPK objective ${sol.objective}`);
  TINY_X.forEach((xj, j) => assert.ok(Math.abs(sol.x[j] - xj) < 1e-9, `x${j + 1} = ${sol.x[j]}`));
  TINY_Y.forEach((yi, i) => assert.ok(Math.abs(sol.y[i] - yi) < 1e-9, `y${i + 1} = ${sol.y[i]}`));
});

Deno.test("hand-made LP: a feasible point off the optimum is suboptimal by its excess cost", () => {
  const lp = tinyLp();
  // (1, 2, 1) is feasible and costs 0.5 + 1 + 4 = 5.5.
  const v = expectVerdict(checkCertificate(lp, makeCertificate(lp, [1, 2, 1], TINY_Y)), "suboptimal");
  assert.equal(v.objective, 5.5);
  assert.ok(Math.abs(v.gapUsd - 1) < 1e-12, `gap ${v.gapUsd}`);
  // A gap within a looser tolerance is accepted.
  assert.equal(
    checkCertificate(lp, makeCertificate(lp, [1, 2, 1], TINY_Y), { gapToleranceUsd: 1.01 }).verdict,
    "accepted",
  );
  // The optimal x with a poor y (all zero: bound 0.5 + min over the box of c'x = 1.5) is suboptimal too.
  const poor = expectVerdict(checkCertificate(lp, makeCertificate(lp, TINY_X, [0, 0, 0])), "suboptimal");
  assert.ok(Math.abs(poor.lowerBound - 1.5) < 1e-12, `bound ${poor.lowerBound}`);
});

Deno.test("hand-made LP: a row violated on its lower side is named with its amount", () => {
  const lp = tinyLp();
  // x1 + x2 = 2.9 < 3; the objective 4.3 would beat the optimum.
  const v = expectVerdict(checkCertificate(lp, makeCertificate(lp, [2, 0.9, 2], TINY_Y)), "infeasible");
  assert.deepEqual([v.worst.kind, v.worst.name, v.worst.index], ["row", "demand", 0]);
  assert.ok(Math.abs(v.worst.amount - 0.1) < 1e-12, `amount ${v.worst.amount}`);
  assert.match(describeVerdict(v), /row demand .* below its lower bound 3/);
});

Deno.test("hand-made LP: a row violated on its upper side is named with its amount", () => {
  const lp = tinyLp();
  // x1 - x3 = 0.25 > 0; demand and every bound hold.
  const v = expectVerdict(checkCertificate(lp, makeCertificate(lp, [2, 1, 1.75], TINY_Y)), "infeasible");
  assert.deepEqual([v.worst.kind, v.worst.name, v.worst.index], ["row", "link", 2]);
  assert.equal(v.worst.amount, 0.25);
  assert.match(describeVerdict(v), /row link .* above its upper bound 0/);
});

Deno.test("hand-made LP: column bounds violated on either side are named with their amount", () => {
  const lp = tinyLp();
  // Every row holds; x3 = 2.5 is above its upper bound 2.
  const above = expectVerdict(checkCertificate(lp, makeCertificate(lp, [2.5, 1, 2.5], TINY_Y)), "infeasible");
  assert.deepEqual([above.worst.kind, above.worst.name, above.worst.index], ["bound", "x3", 2]);
  assert.equal(above.worst.amount, 0.5);
  // A free-standing column below its lower bound, cheaper than anything feasible.
  const b = new LpBuilder("one column");
  b.addCol("x", 1, 3, 1);
  const one = b.build();
  const below = expectVerdict(checkCertificate(one, makeCertificate(one, [0.75], [])), "infeasible");
  assert.deepEqual([below.worst.kind, below.worst.name, below.worst.value], ["bound", "x", 0.75]);
  assert.equal(below.worst.amount, 0.25);
  assert.equal(checkCertificate(one, makeCertificate(one, [1], [])).verdict, "accepted");
});

Deno.test("hand-made LP: the default gap tolerance is one cent", () => {
  const lp = tinyLp();
  // (2 - d, 1 + d, 2 - d) is feasible and costs 4.5 + d.
  const at = (d: number) => checkCertificate(lp, makeCertificate(lp, [2 - d, 1 + d, 2 - d], TINY_Y));
  assert.equal(GAP_TOLERANCE_USD, 0.01);
  assert.equal(at(0.009).verdict, "accepted");
  const v = expectVerdict(at(0.011), "suboptimal");
  assert.ok(Math.abs(v.gapUsd - 0.011) < 1e-12, `gap ${v.gapUsd}`);
});

Deno.test("hand-made LP: a violation within the feasibility tolerance is accepted unless it makes x cheaper than the optimum", () => {
  const lp = tinyLp();
  // link off by 4e-9 (x3 is free of cost): well within FEASIBILITY_TOLERANCE, and no cheaper.
  const v = checkCertificate(lp, makeCertificate(lp, [2, 1, 2 - 4e-9], TINY_Y));
  assert.equal(v.verdict, "accepted", describeVerdict(v));
  // demand off by 4e-9, also within the tolerance, saves $8e-9: cheaper than any feasible x.
  const cheaper = expectVerdict(
    checkCertificate(lp, makeCertificate(lp, [2, 1 - 4e-9, 2], TINY_Y)),
    "infeasible",
  );
  assert.ok(cheaper.maxViolation <= FEASIBILITY_TOLERANCE, `violation ${cheaper.maxViolation}`);
  assert.ok(cheaper.belowBound, describeVerdict(cheaper));
  assert.ok(Math.abs(cheaper.belowBound.usd - 8e-9) < 1e-12, `below by ${cheaper.belowBound.usd}`);
  assert.ok(
    cheaper.belowBound.roundingBoundUsd < 1e-14,
    `rounding bound ${cheaper.belowBound.roundingBoundUsd}`,
  );
  assert.equal(cheaper.worst.name, "demand");
  assert.match(
    describeVerdict(cheaper),
    /the objective is 4\.5000, 8\.00e-9 below the proven lower bound 4\.5000/,
  );
  // In a kind's words: its symbol before every amount, its names for the objective and a solution.
  assert.match(
    describeVerdict(cheaper, { symbol: "$", quantity: "cost", solution: "dispatch" }),
    /^rejected as infeasible: the cost is \$4\.5000, \$8\.00e-9 below the proven lower bound \$4\.5000 on every feasible dispatch /,
  );
});

Deno.test("hand-made LP: a dual of the wrong sign on an infinite side never lifts the bound above the optimum", () => {
  const lp = tinyLp();
  const cases: [string, number[]][] = [
    // floor has only an upper side: a positive dual faces its -∞ lower side. Dropping the
    // term y·(-∞) while keeping y in z = c - A'y would give z2 = 100 and a bound of 54.5.
    ["floor dual +100", [2, 100, -1]],
    ["floor dual +1e300", [2, 1e300, -1]],
    // demand has only a lower side: a negative dual faces its +∞ upper side.
    ["demand dual -3", [-3, 0, -1]],
    ["demand dual -1e6, floor dual +1e6", [-1e6, 1e6, 0]],
  ];
  for (const [what, y] of cases) {
    for (const x of [TINY_X, [1, 2, 1]]) {
      const v = checkCertificate(lp, makeCertificate(lp, x, y));
      assert.ok(v.verdict !== "malformed" && v.verdict !== "infeasible", `${what}: ${describeVerdict(v)}`);
      assert.ok(v.lowerBound <= TINY_OPTIMUM, `${what}: bound ${v.lowerBound} above the optimum`);
      assert.ok(v.gapUsd >= 0, `${what}: negative gap ${v.gapUsd}`);
    }
  }
});

// ---------------------------------------------------------------------------
// Rigour of the bound under floating-point rounding, checked in exact arithmetic

/** Scale 2^EXACT_SHIFT turns every double into an integer (the smallest is 2^-1074). */
const EXACT_SHIFT = 1074n;

/** The double d as the exact integer d · 2^1074. */
function exact(d: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0x7ff) throw new Error(`${d} is not finite`);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const shift = BigInt(Math.max(biased, 1) - 1075) + EXACT_SHIFT;
  const magnitude = mantissa << shift;
  return bits >> 63n ? -magnitude : magnitude;
}

Deno.test("exact(): doubles convert to exact scaled integers", () => {
  assert.equal(exact(1), 1n << EXACT_SHIFT);
  assert.equal(exact(-0.75), -3n << (EXACT_SHIFT - 2n));
  assert.equal(exact(5e-324), 1n);
  assert.equal(exact(0.1) * 10n > exact(1), true, "0.1 as a double is slightly above 1/10");
});

Deno.test("property: rounding never lifts the bound above the exact optimum", () => {
  // Every column is fixed at an integer and every row's activity at that point is an exact
  // integer, so the LP's only feasible point is x = l and its exact optimum is c'l + c0.
  // With duals on the rows' finite sides the bound equals that optimum in exact arithmetic,
  // c'l + y'(side - A l) = c'l; in floating point, z = c - A'y and the sums round either
  // way, and only the checker's rounding margins keep the bound at or below the optimum.
  const lpArb = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.record({
      l: fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: n, maxLength: n }),
      c: fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: n, maxLength: n }),
      c0: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
      rows: fc.array(
        fc.record({
          terms: fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: -5, max: 5 })), {
            minLength: 1,
            maxLength: 8,
          }),
          y: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
          slack: fc.oneof(fc.constant(0), fc.constant(Infinity), fc.integer({ min: 1, max: 10 })),
          // Add a column fixed at 1 whose coefficient brings the row's activity to 0: then
          // y·side vanishes and the rounding of z = c - A'y dominates the bound's error.
          balanced: fc.boolean(),
          balanceCost: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        }),
        { maxLength: 12 },
      ),
      // Make c nearly cancel A'y, so that z is small and its rounding relatively large.
      cancel: fc.boolean(),
    })
  );
  fc.assert(
    fc.property(lpArb, ({ l, c, c0, rows, cancel }) => {
      const cols = l.map((lj, j) => ({ value: lj, cost: c[j] }));
      const rowTerms = rows.map((r) => {
        const terms = r.terms.map(([j, a]): [number, number] => [j, a]);
        if (r.balanced) {
          const activity = terms.reduce((s, [j, a]) => s + a * cols[j].value, 0);
          terms.push([cols.length, -activity]);
          cols.push({ value: 1, cost: r.balanceCost });
        }
        return terms;
      });
      const y = rows.map((r) => r.y);
      if (cancel) {
        const aty = cols.map(() => 0);
        rowTerms.forEach((terms, i) => terms.forEach(([j, a]) => aty[j] += a * y[i]));
        cols.forEach((col, j) => col.cost = aty[j] + col.cost * 1e-9);
      }
      const x = cols.map((col) => col.value);
      const at = rowTerms.map((terms) => terms.reduce((s, [j, a]) => s + a * x[j], 0));
      const b = new LpBuilder("fixed");
      cols.forEach((col, j) => b.addCol(`x${j}`, col.value, col.value, col.cost));
      b.addConstant(c0);
      rowTerms.forEach((terms, i) => {
        // The dual's side is the exact activity; the other side is off by `slack`.
        const slack = rows[i].slack;
        const [lo, hi] = y[i] >= 0 ? [at[i], at[i] + slack] : [at[i] - slack, at[i]];
        b.addRow(`r${i}`, lo, hi, terms);
      });
      const lp = b.build();
      const v = checkCertificate(lp, makeCertificate(lp, x, y));
      assert.ok(v.verdict !== "malformed" && v.verdict !== "infeasible", describeVerdict(v));
      const optimum = cols.reduce((s, col) => s + exact(col.cost) * BigInt(col.value), exact(c0));
      assert.ok(
        exact(v.lowerBound) <= optimum,
        `bound ${v.lowerBound} above the exact optimum ${Number(optimum) / 2 ** 1074}`,
      );
      // The margin is small: a few units of rounding (2^-53 per operation) of the sums'
      // magnitude, far below a cent at the UoM case's scale.
      let scale = Math.abs(c0);
      cols.forEach((col) => scale += Math.abs(col.cost * col.value));
      rowTerms.forEach((terms, i) => {
        scale += Math.abs(y[i] * at[i]);
        terms.forEach(([j, a]) => scale += Math.abs(a * y[i] * x[j]));
      });
      assert.ok(v.gapUsd >= 0 && v.gapUsd <= 1e-12 * scale + 1e-300, `gap ${v.gapUsd}, scale ${scale}`);
    }),
    { seed: 7, numRuns: 1000 },
  );
});

// ---------------------------------------------------------------------------
// Property tests on the UoM certificate

/**
 * Slack on the reference optimum. The exact LP optimum is not known; GLPK's
 * objective is c'x at a vertex that satisfies every row to ~1e-11 relative,
 * and its duals prove a bound within ~1e-8 of it (the optimal certificate's
 * gap). An exact optimum can therefore differ from GLPK's figure only by about
 * (row violation) × |y|, orders of magnitude below 1e-6 $, while any real flaw
 * in the checker (a dropped term, an unguarded rounding) moves the bound by
 * far more than that.
 */
const GLPK_SLACK_USD = 1e-6;

/** A deterministic PRNG (the simulator's mulberry32), for vectors too long to draw entry by entry. */
const prng = mulberry32;

/** How one vector of the certificate is disturbed. */
interface Perturbation {
  /** Entries touched: a handful of chosen ones, or a random fraction of all. */
  entries: { pick: number[] } | { fraction: number; seed: number };
  /** v + s·|v|·u (relative), v + s·u (absolute), or -v (sign flip), u uniform in [-1, 1]. */
  mode: "relative" | "absolute" | "flip";
  /** s = 10^exponent. */
  exponent: number;
  /** Push every touched entry the same way (u in [0, 1] times this sign) instead of at random. */
  direction: -1 | 0 | 1;
}

function perturbation(length: number): fc.Arbitrary<Perturbation> {
  return fc.record({
    entries: fc.oneof(
      fc.record({ pick: fc.array(fc.nat(length - 1), { minLength: 1, maxLength: 20 }) }),
      fc.record({ fraction: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.nat() }),
    ),
    mode: fc.constantFrom("relative", "absolute", "flip"),
    exponent: fc.integer({ min: -15, max: 8 }),
    direction: fc.constantFrom(-1, 0, 1),
  }) as fc.Arbitrary<Perturbation>;
}

/** Largest violation of a row or bound relative to 1 + |bound|, computed independently of the checker. */
function worstViolation(lp: SparseLp, x: ArrayLike<number>): number {
  const rel = (v: number, lo: number, hi: number) =>
    v < lo ? (lo - v) / (1 + Math.abs(lo)) : v > hi ? (v - hi) / (1 + Math.abs(hi)) : 0;
  let worst = 0;
  rowActivities(lp, x).forEach((ax, i) => worst = Math.max(worst, rel(ax, lp.rowLower[i], lp.rowUpper[i])));
  for (let j = 0; j < x.length; j++) worst = Math.max(worst, rel(x[j], lp.lower[j], lp.upper[j]));
  return worst;
}

function perturb(v: ArrayLike<number>, p: Perturbation | null, noiseSeed: number): number[] {
  const out = Array.from(v);
  if (!p) return out;
  const rand = prng(noiseSeed);
  const s = 10 ** p.exponent;
  const touch = (k: number) => {
    const u = p.direction === 0 ? 2 * rand() - 1 : p.direction * rand();
    if (p.mode === "flip") out[k] = -out[k];
    else if (p.mode === "relative") out[k] += s * Math.abs(out[k]) * u;
    else out[k] += s * u;
  };
  if ("pick" in p.entries) {
    for (const k of p.entries.pick) touch(k);
  } else {
    const pick = prng(p.entries.seed), f = p.entries.fraction;
    for (let k = 0; k < out.length; k++) if (pick() < f) touch(k);
  }
  return out;
}

Deno.test("property: a perturbed certificate is accepted only for a near-optimal x, and its bound never exceeds the optimum", async () => {
  const { lp } = await uomModel();
  const opt = (await variant("optimal")).certificate;
  const optimum = objectiveValue(lp, opt.x);
  const n = lp.colNames.length, m = lp.rowNames.length;
  let accepted = 0, rejected = 0;
  fc.assert(
    fc.property(
      fc.option(perturbation(n), { freq: 3 }),
      fc.option(perturbation(m), { freq: 3 }),
      fc.nat(),
      (px, py, noiseSeed) => {
        const cert: Certificate = makeCertificate(
          lp,
          perturb(opt.x, px, noiseSeed),
          perturb(opt.y, py, noiseSeed + 1),
        );
        const v = checkCertificate(lp, cert);
        assert.notEqual(v.verdict, "malformed");
        if (v.verdict === "malformed") return;
        assert.ok(
          v.lowerBound <= optimum + GLPK_SLACK_USD,
          `bound ${v.lowerBound} above the optimum ${optimum}`,
        );
        // Feasibility against an independent computation of A x (1e-6 relative margin on the
        // tolerance for the rounding of the two sums, which need not agree to the last bit).
        const violation = worstViolation(lp, cert.x);
        if (v.verdict === "infeasible" && v.belowBound) {
          // Each violation within the tolerance, but cheaper than the bound (itself <= the optimum).
          assert.ok(violation > 0, `below the bound, yet no violation`);
          assert.ok(objectiveValue(lp, cert.x) < v.lowerBound, describeVerdict(v));
        } else if (v.verdict === "infeasible") {
          assert.ok(violation > FEASIBILITY_TOLERANCE * (1 - 1e-6), `infeasible, yet violation ${violation}`);
          const names = v.worst.kind === "row" ? lp.rowNames : lp.colNames;
          assert.equal(names[v.worst.index], v.worst.name);
          assert.ok(v.worst.amount > 0);
        } else {
          assert.ok(
            violation <= FEASIBILITY_TOLERANCE * (1 + 1e-6),
            `${v.verdict}, yet violation ${violation}`,
          );
        }
        if (v.verdict === "accepted") {
          accepted++;
          const cost = objectiveValue(lp, cert.x);
          assert.ok(
            cost <= optimum + GAP_TOLERANCE_USD + GLPK_SLACK_USD,
            `accepted at $${cost}, optimum $${optimum}`,
          );
        } else rejected++;
      },
    ),
    { seed: 20240521, numRuns: 300 },
  );
  // Both outcomes occur, so the property is not vacuous.
  assert.ok(accepted > 0 && rejected > 0, `accepted ${accepted}, rejected ${rejected}`);
});

Deno.test("property: the lower bound of any random y stays below the optimum", async () => {
  const { lp } = await uomModel();
  const opt = (await variant("optimal")).certificate;
  const optimum = objectiveValue(lp, opt.x);
  const m = lp.rowNames.length;
  fc.assert(
    fc.property(
      fc.nat(),
      fc.integer({ min: -12, max: 12 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom("free", "nonnegative", "nonpositive", "near optimal"),
      (seed, exponent, density, signs) => {
        const rand = prng(seed);
        const scale = 10 ** exponent;
        const y = new Array<number>(m);
        for (let i = 0; i < m; i++) {
          const u = rand() < density ? scale * (2 * rand() - 1) : 0;
          y[i] = signs === "nonnegative"
            ? Math.abs(u)
            : signs === "nonpositive"
            ? -Math.abs(u)
            : signs === "near optimal"
            ? opt.y[i] + u
            : u;
        }
        const v = checkCertificate(lp, makeCertificate(lp, opt.x, y));
        assert.ok(v.verdict !== "malformed" && v.verdict !== "infeasible", describeVerdict(v));
        assert.ok(
          v.lowerBound <= optimum + GLPK_SLACK_USD,
          `bound ${v.lowerBound} above the optimum ${optimum}`,
        );
      },
    ),
    { seed: 424242, numRuns: 200 },
  );
});

Deno.test("the claimed variant is never trusted: the selfish dispatch labelled optimal is still suboptimal", async () => {
  const { lp } = await uomModel();
  const sel = (await variant("selfish")).certificate;
  assert.equal(sel.format, CERTIFICATE_FORMAT);
  const v = checkCertificate(lp, { ...sel, variant: "optimal" });
  assert.equal(v.verdict, "suboptimal", "the claimed variant is never trusted");
  if (v.verdict === "suboptimal") assert.equal(v.objective, objectiveValue(lp, sel.x));
});
