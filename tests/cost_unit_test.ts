/**
 * What a problem kind says about its cost (problems/types.ts CostUnit): every
 * registered kind's unit is valid and reaches its verifier; amounts and trace
 * cells are written in it and read back from any unit; a claim is judged by
 * the unit's own tolerance and worded in it; a unit read from a report's JSON
 * is checked field by field.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { claimProblem } from "../consensus/digest.ts";
import type { Proposal, Verifier } from "../consensus/types.ts";
import { csvFileProblem } from "../problems/csv.ts";
import { dispatchCostUnit } from "../problems/ies-dispatch/cost.ts";
import { problemKind, problemKinds } from "../problems/registry.ts";
import {
  cellAmount,
  costCell,
  type CostUnit,
  costUnitProblem,
  formatAmount,
  MAX_COST_SYMBOL_CHARS,
  perPeriod,
  readCostUnit,
} from "../problems/types.ts";

/** The market's unit (yuan per hour), with a one-yuan claim tolerance so that a claim can fall between kinds. */
const CNY: CostUnit = { ...problemKind("energy-market").cost, claimTolerance: 1 };

Deno.test("every kind's cost unit is valid, reaches its day's verifier, and names a usable CSV file", async () => {
  for (const name of problemKinds()) {
    const kind = problemKind(name);
    assert.equal(costUnitProblem(kind.cost), undefined, name);
    const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
    assert.deepEqual(problem.verifier.cost, kind.cost, `${name}: day 1 is measured in the kind's unit`);
    if (kind.csv) assert.equal(csvFileProblem(kind.csv.file), undefined, name);
  }
  assert.equal(problemKind("ies-dispatch").cost.symbol, "$");
  assert.equal(problemKind("simple-sum").cost.symbol, "Σ");
  assert.equal(problemKind("simple-sum").cost.currency, undefined, "a sum is no money");
});

Deno.test("a dispatch over another horizon than a day costs per that horizon, in the same unit", () => {
  assert.equal(perPeriod(dispatchCostUnit(24)), " per day");
  assert.equal(perPeriod(dispatchCostUnit(48)), " per 48 h");
  assert.deepEqual({ ...dispatchCostUnit(48), per: "day" }, dispatchCostUnit(24));
  assert.equal(costUnitProblem(dispatchCostUnit(8760)), undefined);
});

Deno.test("amounts and trace cells are written in the unit: symbol, sign, groups of three", () => {
  const usd = problemKind("ies-dispatch").cost, sum = problemKind("simple-sum").cost;
  assert.equal(formatAmount(usd, 743.914), "$743.91");
  assert.equal(formatAmount(usd, -0.25), "-$0.25");
  assert.equal(formatAmount(usd, -0.001), "$0.00", "no sign on what rounds to zero");
  assert.equal(formatAmount(CNY, 1686957.149), "¥1,686,957.15");
  assert.equal(formatAmount(sum, 1000), "Σ1,000.00");
  assert.equal(costCell(usd, 743.91, "DE"), "<$744>DE");
  assert.equal(costCell(CNY, 1686957.15, "E"), "<¥1,686,957>E");
  assert.equal(costCell(sum, 1100, "C"), "<Σ1,100>C");
  assert.equal(costCell(usd, undefined, "D"), "<$?>D");
  assert.equal(costCell(usd, NaN, "D"), "<$?>D");
  assert.equal(`${formatAmount(CNY, 5, 0)}${perPeriod(CNY)}`, "¥5 per hour");
  assert.equal(perPeriod(sum), "", "a sum covers a block, no period");
});

Deno.test("property: a cell's amount reads back as the rounded amount, in any valid unit", () => {
  const units = [...problemKinds().map((k) => problemKind(k).cost), CNY, { ...CNY, symbol: "" }];
  fc.assert(
    fc.property(
      fc.constantFrom(...units),
      fc.double({ min: -1e12, max: 1e12, noNaN: true }),
      fc.stringMatching(/^[A-Z]{1,4}$/),
      (unit, v, path) => {
        const cell = costCell(unit, v, path);
        assert.ok(cell.endsWith(`>${path}`), cell);
        assert.equal(cellAmount(cell), Math.round(v) + 0, cell);
      },
    ),
  );
  assert.equal(cellAmount("<$?>D"), undefined);
  assert.equal(cellAmount("$744"), undefined);
  assert.equal(cellAmount("<$7,44>D"), undefined, "a group of two digits is no amount");
});

Deno.test("a claim is judged by the unit's own tolerance and worded in the unit", () => {
  const certificate = { format: "poso-certificate/1" as const, lpId: "", x: [100], y: [] };
  const verifier = (cost: CostUnit): Verifier => ({
    verify: () => assert.fail("not called"),
    digest: () => assert.fail("not called"),
    costUsd: (c) => c.x[0],
    tamper: (c) => c,
    cost,
  });
  const claim = (unit: CostUnit, claimed: number) =>
    claimProblem(
      verifier(unit),
      { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: claimed } as Proposal,
    );
  // Off by 0.5: within this unit's one yuan, beyond the dispatch's cent.
  assert.equal(claim(CNY, 100.5), undefined);
  assert.equal(
    claim(problemKind("ies-dispatch").cost, 100.5),
    "claims $100.50 per day, the true cost is $100.00: off by $0.50 (tolerance $0.01)",
  );
  assert.equal(
    claim(CNY, 1102),
    "claims ¥1,102.00 per hour, the true cost is ¥100.00: off by ¥1,002.00 (tolerance ¥1.00)",
  );
  assert.equal(
    claim(problemKind("simple-sum").cost, 101),
    "claims Σ101.00, the true sum is Σ100.00: off by Σ1.00 (tolerance Σ0.01)",
  );
  assert.match(
    claim({ ...CNY, claimTolerance: 0.005 }, 101) ?? "",
    /\(tolerance ¥0\.005\)$/,
    "shown exactly",
  );
  assert.match(claim(CNY, NaN) ?? "", /claims ¥NaN/, "NaN is never within a tolerance");
});

Deno.test("a cost unit from outside is checked field by field; a bad one is refused naming the field", () => {
  const ok = problemKind("ies-dispatch").cost;
  const bad: [unknown, RegExp][] = [
    [null, /expected an object/],
    [[ok], /expected an object/],
    [{ ...ok, symbol: 1 }, /^symbol: expected a string/],
    [{ ...ok, symbol: "US$1" }, /^symbol: .* holds a digit/],
    [{ ...ok, symbol: "<" }, /^symbol: .* holds a digit/],
    [{ ...ok, symbol: "-" }, /^symbol: .* holds a digit/],
    [{ ...ok, symbol: "$ " }, /^symbol: .* holds a digit/],
    [{ ...ok, symbol: "x".repeat(MAX_COST_SYMBOL_CHARS + 1) }, /^symbol: at most/],
    [{ ...ok, currency: "usd" }, /^currency: expected an ISO 4217 code/],
    [{ ...ok, quantity: "" }, /^quantity: /],
    [{ ...ok, solution: "Dispatch<script>" }, /^solution: /],
    [{ ...ok, per: "day\n" }, /^per: /],
    [{ ...ok, decimals: 2.5 }, /^decimals: /],
    [{ ...ok, decimals: 7 }, /^decimals: /],
    [{ ...ok, claimTolerance: 0 }, /^claimTolerance: /],
    [{ ...ok, claimTolerance: NaN }, /^claimTolerance: /],
    [{ ...ok, claimTolerance: Infinity }, /^claimTolerance: /],
    [{ ...ok, extra: 1 }, /^"extra": unknown field/],
    [JSON.parse('{"__proto__": {"symbol": "$"}}'), /unknown field|symbol: expected a string/],
  ];
  for (const [value, why] of bad) {
    assert.match(costUnitProblem(value) ?? "", why, JSON.stringify(value));
    assert.throws(() => readCostUnit(value), RangeError);
  }
  const copy = readCostUnit(JSON.parse(JSON.stringify(ok)));
  assert.deepEqual(copy, ok);
  assert.notEqual(copy, ok, "a fresh object");
});
