/**
 * The two solver back ends (GLPK and HiGHS) behind one interface: small LPs
 * with known optima and duals (>=, <=, ranged and equality rows, columns at
 * their lower and upper bounds, a free column) solved by both; every proposal
 * variant of the UoM case made by both and judged by the same certificate
 * checker; every registered problem kind's day 1 solved by both and accepted
 * by the kind's own checker; the same errors for infeasible and unbounded
 * LPs; no -0 in x, y or z from either back end; no WebAssembly memory leak
 * over 100 HiGHS solves.
 */
import assert from "node:assert/strict";
import {
  checkCertificate,
  describeVerdict,
  GAP_TOLERANCE_USD,
  highsMemoryBytes,
  isSolverName,
  LpBuilder,
  LpInfeasibleError,
  type LpSolution,
  LpUnboundedError,
  makeCertificate,
  objectiveValue,
  solveLp,
  solveLpHighs,
  SolverError,
  SolverFailedError,
  SOLVERS,
  solveVariant,
  solveWith,
  type SparseLp,
  type Variant,
  variantLp,
  type VariantSolution,
  type Verdict,
} from "../mod.ts";
import { dispatchDigest } from "../consensus/digest.ts";
import { problemKind, problemKinds } from "../problems/registry.ts";
import { uomModel, variant } from "./helpers.ts";

/** Agreement required with a hand-computed optimum (values of order 1-10). */
const EXACT_TOLERANCE = 1e-9;
/** Largest difference between two back ends' optimal costs, $ (one cent). */
const SAME_COST_USD = 0.01;

// ---------------------------------------------------------------------------
// Small LPs with known optima and duals

interface KnownLp {
  lp: SparseLp;
  objective: number;
  x: number[];
  y: number[];
  /** Reduced costs z = c - A'y. */
  z: number[];
}

/** min x + 2y, x + y >= 3, x, y in [0, 4] (offset 10): x = 3, y at its lower bound. */
function atLeastRow(): KnownLp {
  const b = new LpBuilder(">= row");
  const x = b.addCol("x", 0, 4, 1), y = b.addCol("y", 0, 4, 2);
  b.addRow("x+y>=3", 3, Infinity, [[x, 1], [y, 1]]);
  b.addConstant(10);
  return { lp: b.build(), objective: 13, x: [3, 0], y: [1], z: [0, 1] };
}

/** max x + y, x + 2y <= 4, x in [0, 3]: x at its upper bound, y = 0.5, a binding <= row has y < 0. */
function atMostRow(): KnownLp {
  const b = new LpBuilder("<= row");
  const x = b.addCol("x", 0, 3, -1), y = b.addCol("y", 0, 10, -1);
  b.addRow("x+2y<=4", -Infinity, 4, [[x, 1], [y, 2]]);
  return { lp: b.build(), objective: -3.5, x: [3, 0.5], y: [-0.5], z: [-0.5, 0] };
}

/** min -x - 2y, 2 <= x + y <= 5, x, y in [0, 4]: the ranged row binds at its upper side. */
function rangedAtUpper(): KnownLp {
  const b = new LpBuilder("ranged row at its upper side");
  const x = b.addCol("x", 0, 4, -1), y = b.addCol("y", 0, 4, -2);
  b.addRow("2<=x+y<=5", 2, 5, [[x, 1], [y, 1]]);
  return { lp: b.build(), objective: -9, x: [1, 4], y: [-1], z: [0, -1] };
}

/** min x + 2y, 2 <= x + y <= 5, x, y in [0, 4]: the ranged row binds at its lower side. */
function rangedAtLower(): KnownLp {
  const b = new LpBuilder("ranged row at its lower side");
  const x = b.addCol("x", 0, 4, 1), y = b.addCol("y", 0, 4, 2);
  b.addRow("2<=x+y<=5", 2, 5, [[x, 1], [y, 1]]);
  return { lp: b.build(), objective: 2, x: [2, 0], y: [1], z: [0, 1] };
}

/** min 3x + y, x + y = 4, x in [1, 10], y in [0, 2]: y at its upper bound, x basic. */
function equalityRow(): KnownLp {
  const b = new LpBuilder("equality row");
  const x = b.addCol("x", 1, 10, 3), y = b.addCol("y", 0, 2, 1);
  b.addEq("x+y=4", 4, [[x, 1], [y, 1]]);
  return { lp: b.build(), objective: 8, x: [2, 2], y: [3], z: [0, -2] };
}

/** min x, x - y >= -1, x free, y in [0, 2]: the free column is basic at -1. */
function freeColumn(): KnownLp {
  const b = new LpBuilder("free column");
  const x = b.addCol("x", -Infinity, Infinity, 1), y = b.addCol("y", 0, 2, 0);
  b.addRow("x-y>=-1", -1, Infinity, [[x, 1], [y, -1]]);
  return { lp: b.build(), objective: -1, x: [-1, 0], y: [1], z: [0, 1] };
}

/** Two blocks in one LP: a >= row and an equality row, each with its own dual. */
function twoRows(): KnownLp {
  const b = new LpBuilder("two rows");
  const x = b.addCol("x", 0, 4, 1), y = b.addCol("y", 0, 4, 2), u = b.addCol("u", 1, 10, 3);
  const v = b.addCol("v", 0, 2, 1);
  b.addRow("x+y>=3", 3, Infinity, [[x, 1], [y, 1]]);
  b.addEq("u+v=4", 4, [[u, 1], [v, 1]]);
  return { lp: b.build(), objective: 11, x: [3, 0, 2, 2], y: [1, 3], z: [0, 1, 0, -2] };
}

const KNOWN = [atLeastRow, atMostRow, rangedAtUpper, rangedAtLower, equalityRow, freeColumn, twoRows];

function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(
      Math.abs(actual[k] - expected[k]) <= EXACT_TOLERANCE,
      `${what}[${k}] = ${actual[k]}, expected ${expected[k]}`,
    );
  }
}

function negativeZeros(a: ArrayLike<number>): number {
  let n = 0;
  for (let k = 0; k < a.length; k++) if (Object.is(a[k], -0)) n++;
  return n;
}

for (const make of KNOWN) {
  for (const solver of SOLVERS) {
    Deno.test(`${make().lp.name}: ${solver} finds the known optimum, duals and reduced costs`, async () => {
      const known = make();
      const sol = await solveWith(solver, known.lp);
      assert.ok(Math.abs(sol.objective - known.objective) <= EXACT_TOLERANCE, `objective ${sol.objective}`);
      assertClose(sol.x, known.x, "x");
      assertClose(sol.y, known.y, "y");
      assertClose(sol.reducedCosts, known.z, "z");
      // The checker's bound needs finite column bounds (lp/certificate.ts).
      if (![...known.lp.lower, ...known.lp.upper].every(Number.isFinite)) return;
      const verdict = checkCertificate(known.lp, makeCertificate(known.lp, sol.x, sol.y));
      assert.equal(verdict.verdict, "accepted", describeVerdict(verdict));
    });
  }
}

Deno.test("an LP without columns: optimal when every row admits 0, infeasible otherwise", async () => {
  const ok = new LpBuilder("no columns, 0 allowed");
  ok.addRow("r", -1, 2, []);
  ok.addConstant(5);
  const sol = await solveLpHighs(ok.build());
  assert.deepEqual([sol.objective, sol.x.length, Array.from(sol.y)], [5, 0, [0]]);
  const bad = new LpBuilder("no columns, 0 excluded");
  bad.addRow("r", 1, 2, []);
  await assert.rejects(solveLpHighs(bad.build()), LpInfeasibleError);
});

// ---------------------------------------------------------------------------
// Errors

function infeasibleLp(): SparseLp {
  const b = new LpBuilder("impossible");
  const x = b.addCol("x", 0, 1, 1);
  b.addRow("x>=2", 2, Infinity, [[x, 1]]);
  return b.build();
}

function unboundedLp(): SparseLp {
  const b = new LpBuilder("bottomless");
  const x = b.addCol("x", -Infinity, 0, 1), y = b.addCol("y", 0, 1, 1);
  b.addRow("x+y<=1", -Infinity, 1, [[x, 1], [y, 1]]);
  return b.build();
}

/** Infeasible (x - y >= 1 and x - y <= 0) with an unbounded objective direction (min -x). */
function infeasibleAndUnboundedLp(): SparseLp {
  const b = new LpBuilder("infeasible with an unbounded ray");
  const x = b.addCol("x", 0, Infinity, -1), y = b.addCol("y", 0, Infinity, 0);
  b.addRow("x-y>=1", 1, Infinity, [[x, 1], [y, -1]]);
  b.addRow("x-y<=0", -Infinity, 0, [[x, 1], [y, -1]]);
  return b.build();
}

for (const solver of SOLVERS) {
  for (const presolve of [true, false]) {
    Deno.test(`${solver}, presolve ${presolve}: infeasible and unbounded LPs raise the same errors`, async () => {
      for (
        const [lp, kind] of [
          [infeasibleLp(), LpInfeasibleError],
          [unboundedLp(), LpUnboundedError],
          [infeasibleAndUnboundedLp(), LpInfeasibleError],
        ] as const
      ) {
        const e = await solveWith(solver, lp, { presolve }).then(() => undefined, (e) => e);
        assert.ok(e instanceof kind, `${lp.name}: ${e}`);
        assert.equal((e as SolverError).lpName, lp.name);
      }
    });
  }
}

Deno.test("HiGHS: an LP it cannot take (NaN cost) fails with SolverFailedError naming the LP", async () => {
  const b = new LpBuilder("not a number");
  b.addRow("x>=1", 1, Infinity, [[b.addCol("x", 0, 5, NaN), 1]]);
  await assert.rejects(solveLpHighs(b.build()), (e) => {
    assert.ok(e instanceof SolverFailedError, String(e));
    assert.match(e.message, /^not a number: HiGHS refused the LP: .*colCost/);
    return true;
  });
});

Deno.test("HiGHS: a time limit it reaches is a SolverFailedError, not a verdict on the LP", async () => {
  const { lp } = await uomModel();
  await assert.rejects(solveLpHighs(lp, { timeLimitSec: 0 }), (e) => {
    assert.ok(e instanceof SolverFailedError, String(e));
    assert.match(e.message, /timeLimit/);
    return true;
  });
});

Deno.test("GLPK: a time limit it reaches is a SolverFailedError, not 'infeasible'", async () => {
  const { lp } = await uomModel();
  await assert.rejects(solveLp(lp, { timeLimitSec: 0, presolve: false }), (e) => {
    assert.ok(e instanceof SolverFailedError && !(e instanceof LpInfeasibleError), String(e));
    return true;
  });
});

Deno.test("solveWith refuses an unknown back end, naming the known ones", async () => {
  assert.ok(SOLVERS.every(isSolverName));
  assert.ok(!isSolverName("cplex") && !isSolverName("HIGHS"));
  await assert.rejects(
    solveWith("cplex" as never, infeasibleLp()),
    (e: Error) => /unknown solver "cplex": expected one of glpk, highs/.test(e.message),
  );
});

// ---------------------------------------------------------------------------
// The UoM dispatch: every proposal variant through both back ends

const highsVariants = new Map<Variant, Promise<VariantSolution>>();
async function highsVariant(name: Variant): Promise<VariantSolution> {
  const model = await uomModel();
  let p = highsVariants.get(name);
  if (!p) highsVariants.set(name, p = solveVariant(model, name, { solver: "highs" }));
  return await p;
}

async function verdictOf(s: VariantSolution): Promise<Verdict> {
  return checkCertificate((await uomModel()).lp, s.certificate);
}

Deno.test("UoM optimum by HiGHS: accepted by the checker and as cheap as GLPK's within a cent", async () => {
  const [h, g] = [await highsVariant("optimal"), await variant("optimal")];
  const v = await verdictOf(h);
  assert.equal(v.verdict, "accepted", describeVerdict(v));
  if (v.verdict === "accepted") assert.ok(v.gapUsd <= GAP_TOLERANCE_USD, `gap ${v.gapUsd}`);
  assert.ok(Math.abs(h.lpObjectiveUsd - g.lpObjectiveUsd) <= SAME_COST_USD, `${h.lpObjectiveUsd} vs GLPK`);
  assert.ok(Math.abs(h.cost.total - g.cost.total) <= SAME_COST_USD, `true cost ${h.cost.total} vs GLPK`);
});

for (const name of ["selfish", "feasible"] as const) {
  Deno.test(`UoM ${name} by HiGHS: the same optimum of its objective as GLPK's, the same verdict`, async () => {
    const model = await uomModel();
    const [h, g] = [await highsVariant(name), await variant(name)];
    const own = variantLp(model, name);
    const [ho, go] = [objectiveValue(own, h.certificate.x), objectiveValue(own, g.certificate.x)];
    assert.ok(Math.abs(ho - go) <= SAME_COST_USD, `${name} objective ${ho} by HiGHS, ${go} by GLPK`);
    const [hv, gv] = [await verdictOf(h), await verdictOf(g)];
    assert.equal(hv.verdict, "suboptimal", describeVerdict(hv));
    assert.equal(hv.verdict, gv.verdict);
  });
}

Deno.test("UoM corrupt and alternative by HiGHS: rejected as infeasible, accepted", async () => {
  const corrupt = await verdictOf(await highsVariant("corrupt"));
  assert.equal(corrupt.verdict, "infeasible", describeVerdict(corrupt));
  const [alt, opt] = [await highsVariant("alternative"), await highsVariant("optimal")];
  const v = await verdictOf(alt);
  assert.equal(v.verdict, "accepted", describeVerdict(v));
  assert.notEqual(dispatchDigest(alt.certificate), dispatchDigest(opt.certificate));
});

for (const solver of SOLVERS) {
  Deno.test(`UoM by ${solver}: no -0 in x, y or z, so a certificate's digest survives JSON`, async () => {
    const { lp } = await uomModel();
    const sol: LpSolution = await solveWith(solver, lp);
    // GLPK's own duals hold a few -0 (24 on this case) and HiGHS's thousands: each would be a stored value in
    // a ledger's sparse encoding of the certificate.
    assert.deepEqual([negativeZeros(sol.x), negativeZeros(sol.y), negativeZeros(sol.reducedCosts)], [
      0,
      0,
      0,
    ]);
    const cert = makeCertificate(lp, sol.x, sol.y);
    const reread = JSON.parse(JSON.stringify(cert));
    assert.equal(dispatchDigest(reread), dispatchDigest(cert));
  });
}

// ---------------------------------------------------------------------------
// Every problem kind through both back ends, judged by the kind's one checker

for (const name of problemKinds()) {
  Deno.test(`${name}: day 1 of the bundled case by GLPK and by HiGHS, each accepted by the same checker`, async () => {
    const kind = problemKind(name);
    const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
    const unit = problem.verifier.cost;
    const costs: number[] = [];
    for (const solver of SOLVERS) {
      const { certificate, costUsd } = await problem.solve("optimal", { solver });
      const v = problem.verifier.verify(certificate);
      assert.equal(v.verdict, "accepted", `${solver}: ${describeVerdict(v, unit)}`);
      if (v.verdict === "accepted") assert.ok(v.gapUsd <= GAP_TOLERANCE_USD, `${solver}: gap ${v.gapUsd}`);
      assert.equal(certificate.lpId, problem.id, `${solver}: the certificate names the problem's LP`);
      // What the leader claims is what every follower computes.
      assert.ok(Math.abs(costUsd - problem.verifier.costUsd(certificate)) <= unit.claimTolerance, solver);
      assert.deepEqual([negativeZeros(certificate.x), negativeZeros(certificate.y)], [0, 0], `${solver}: -0`);
      costs.push(costUsd);
    }
    const [glpk, highs] = costs;
    assert.ok(Math.abs(glpk - highs) <= unit.claimTolerance, `GLPK ${glpk}, HiGHS ${highs}`);
  });
}

// ---------------------------------------------------------------------------
// Resources and output

/** A dense-ish transport LP: `size` sources and sinks, every pair linked (size² columns). */
function transportLp(size: number): SparseLp {
  const b = new LpBuilder(`transport ${size}x${size}`);
  const cols: number[][] = [];
  for (let i = 0; i < size; i++) {
    cols.push([]);
    for (let j = 0; j < size; j++) cols[i].push(b.addCol(`f${i}_${j}`, 0, 100, 1 + ((i * 7 + j * 13) % 17)));
  }
  for (let i = 0; i < size; i++) b.addRow(`supply${i}`, -Infinity, 10, cols[i].map((c) => [c, 1] as const));
  for (let j = 0; j < size; j++) b.addRow(`demand${j}`, 9, Infinity, cols.map((r) => [r[j], 1] as const));
  return b.build();
}

/** Solves before the measurement, so that HiGHS's memory reaches its working size. */
const WARM_UP_SOLVES = 5;
/** Solves whose leaks, if any, would show. */
const MEASURED_SOLVES = 100;

Deno.test("HiGHS: 100 solves leak no WebAssembly memory", async () => {
  // A 40x40 transport LP takes a few hundred kB inside HiGHS; 100 leaked
  // instances would grow the memory by tens of MB.
  const lp = transportLp(40);
  for (let k = 0; k < WARM_UP_SOLVES; k++) await solveLpHighs(lp);
  const before = await highsMemoryBytes();
  let objective = NaN;
  for (let k = 0; k < MEASURED_SOLVES; k++) objective = (await solveLpHighs(lp)).objective;
  assert.equal(await highsMemoryBytes(), before);
  assert.ok(Number.isFinite(objective));
});

Deno.test("HiGHS is silent unless asked: verbose prints its log, the default prints nothing", async () => {
  const lines: unknown[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a);
  try {
    await solveLpHighs(atLeastRow().lp);
    assert.equal(lines.length, 0);
    await solveLpHighs(atLeastRow().lp, { verbose: true });
  } finally {
    console.log = log;
  }
  assert.ok(lines.some((l) => /HiGHS/.test(String(l))), `verbose printed ${lines.length} lines`);
});
