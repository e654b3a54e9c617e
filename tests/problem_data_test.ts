/**
 * A day's problem crosses a Worker boundary as data (Problem.data,
 * ProblemKind.fromData): the Worker's problem must be the supervisor's
 * (same LP fingerprint, same verdicts and costs), the data must survive
 * structured cloning with its buffers transferred, and data that is not
 * what a Problem produced is refused naming the field, never turned into a
 * problem that reads out of bounds.
 */
import assert from "node:assert/strict";
import { checkCertificate, makeCertificate, type Problem, problemData, problemKind } from "../mod.ts";
import type { DispatchModel } from "../problems/ies-dispatch/dispatch.ts";

const kind = problemKind("ies-dispatch");
// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;
let day2: Promise<Problem & { model: DispatchModel }> | undefined;
/** Day 2's problem (load factor 1.03) of the bundled case, built once. */
function problem(): Promise<Problem & { model: DispatchModel }> {
  day2 ??= kind.loadCase(kind.defaultCase).then((c) =>
    kind.problemFor(c, { height: 2, loadFactor: 1.03 }) as Problem & { model: DispatchModel }
  );
  return day2;
}

/** Every ArrayBuffer under `v` (what a postMessage may transfer). */
function buffersOf(v: unknown, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (ArrayBuffer.isView(v)) out.push(v.buffer as ArrayBuffer);
  else if (Array.isArray(v)) v.forEach((e) => buffersOf(e, out));
  else if (v !== null && typeof v === "object") Object.values(v).forEach((e) => buffersOf(e, out));
  return out;
}

Deno.test("problem data: the problem made from it is the one that was built (id, verdicts, costs)", async () => {
  const built = await problem();
  const data = problemData(kind, built);
  assert.ok(data !== undefined, "ies-dispatch sends its problems as data");
  const again = kind.fromData!(structuredClone(data, { transfer: buffersOf(data) }));
  assert.equal(again.id, built.id);
  assert.deepEqual(again.shape, built.shape);
  const { certificate, costUsd } = await built.solve("optimal", { solver: "highs" });
  assert.equal(again.verifier.verify(certificate).verdict, "accepted");
  assert.equal(again.verifier.costUsd(certificate), costUsd);
  const selfish = (await built.solve("selfish", { solver: "highs" })).certificate;
  assert.deepEqual(again.verifier.verify(selfish), built.verifier.verify(selfish));
  // And it solves: the same optimum from the received problem.
  const solved = await again.solve("optimal", { solver: "highs" });
  assert.ok(Math.abs(solved.costUsd - costUsd) < 0.01, `${solved.costUsd} vs ${costUsd}`);
});

Deno.test("problem data: transferring its buffers leaves the sender's problem whole", async () => {
  const built = await problem();
  const data = built.data!();
  structuredClone(data, { transfer: buffersOf(data) }); // detaches what data() handed out
  assert.ok(buffersOf(data).every((b) => b.byteLength === 0), "the buffers were transferred");
  // The sender's own LP still checks certificates (data() gave copies, not its arrays).
  const { lp } = built.model;
  const x = new Float64Array(lp.colNames.length), y = new Float64Array(lp.rowNames.length);
  const verdict = checkCertificate(lp, makeCertificate(lp, x, y));
  assert.notEqual(verdict.verdict, "malformed", JSON.stringify(verdict));
  assert.equal((built.data!() as Data).lp.values.length, lp.values.length);
});

/** Data of day 2's problem with one change made by `edit`; what fromData says of it. */
async function refusal(edit: (d: Data) => void): Promise<string> {
  const data = structuredClone((await problem()).data!()) as Data;
  edit(data);
  try {
    kind.fromData!(data);
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
}

Deno.test("problem data: data that is not a problem's is refused, naming the field", async () => {
  const cases: [string, (d: Data) => void, RegExp][] = [
    ["not data at all", (d) => delete d.format, /format is not "ies-dispatch\/model-data@1"/],
    [
      "a column index past the last column",
      (d) => (d.lp.colIndex[17] = 1e6),
      /lp\.colIndex\[17\] is 1000000/,
    ],
    ["a negative column index", (d) => (d.lp.colIndex[3] = -1), /lp\.colIndex\[3\] is -1/],
    ["a row start past the nonzeros", (d) => (d.lp.rowStart[5] = 1e9), /lp\.rowStart\[6\] decreases/],
    ["a matrix value that is NaN", (d) => (d.lp.values[9] = NaN), /lp\.values\[9\] is NaN/],
    [
      "an objective that is infinite",
      (d) => (d.objectives.selfish[0] = Infinity),
      /objectives\.selfish\[0\]/,
    ],
    [
      "bounds as a plain list",
      (d) => (d.lp.lower = Array.from(d.lp.lower)),
      /lp\.lower is not a Float64Array/,
    ],
    ["a bound too few", (d) => (d.lp.rowUpper = d.lp.rowUpper.slice(1)), /lp\.rowUpper has \d+ entries/],
    ["a name missing", (d) => d.lp.colNames.pop(), /has \d+ entries, expected \d+|is not a list/],
    ["a layout column out of range", (d) => (d.layout.gridImportKw[0] = 1e6), /layout\.gridImportKw\[0\]/],
    ["a hub's column missing", (d) => d.layout.hubs[0].boilerHeatKw.pop(), /layout\.hubs\[0\]\.boilerHeatKw/],
    ["a case without hours", (d) => delete d.ies.horizon_hours, /horizon_hours/],
  ];
  for (const [what, edit, expected] of cases) {
    const said = await refusal(edit);
    assert.match(said, expected, `${what}: ${said}`);
  }
});
