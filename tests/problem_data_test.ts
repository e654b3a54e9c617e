/**
 * A day's problem crosses a Worker boundary as data (Problem.data,
 * ProblemKind.fromData): the Worker's problem must be the supervisor's
 * (same LP fingerprint, same verdicts and costs), the data must survive
 * structured cloning, its numbers are shared (SharedArrayBuffers, one copy
 * for every Worker) and never the sender's own arrays, the names of the
 * days of one case are read once, and data that is not what a Problem
 * produced is refused naming the field, never turned into a problem that
 * reads out of bounds.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  checkCertificate,
  lpFingerprint,
  makeCertificate,
  type Problem,
  problemData,
  problemKind,
  type SparseLp,
} from "../mod.ts";
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

/** Every buffer under `v`. */
function buffersOf(v: unknown, out: ArrayBufferLike[] = []): ArrayBufferLike[] {
  if (ArrayBuffer.isView(v)) out.push(v.buffer);
  else if (Array.isArray(v)) v.forEach((e) => buffersOf(e, out));
  else if (v !== null && typeof v === "object") Object.values(v).forEach((e) => buffersOf(e, out));
  return out;
}

Deno.test("problem data: the problem made from it is the one that was built (id, verdicts, costs)", async () => {
  const built = await problem();
  const data = problemData(kind, built);
  assert.ok(data !== undefined, "ies-dispatch sends its problems as data");
  const again = kind.fromData!(structuredClone(data));
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

Deno.test("problem data: its numbers are shared copies, never the sender's own arrays", async () => {
  const built = await problem();
  const data = built.data!() as Data;
  const buffers = buffersOf(data);
  assert.ok(buffers.length >= 10, `${buffers.length} buffers`);
  // A postMessage shares a SharedArrayBuffer: one copy of the day's LP for every Worker.
  assert.ok(buffers.every((b) => b instanceof SharedArrayBuffer), "every buffer is shared");
  const { lp } = built.model;
  const before = lp.values[0];
  // A clone (what a Worker receives) reads the same memory: a write (no receiver makes one) shows.
  const clone = structuredClone(data);
  clone.lp.values[0] = before + 1;
  assert.equal(data.lp.values[0], before + 1, "a clone shares the numbers");
  // It would not touch the sender's LP: data() gave copies, and the sender's problem checks as before.
  assert.equal(lp.values[0], before);
  const { certificate } = await built.solve("optimal", { solver: "highs" });
  assert.equal(checkCertificate(lp, makeCertificate(lp, certificate.x, certificate.y)).verdict, "accepted");
  assert.notEqual(lp.lower.buffer, data.lp.lower.buffer);
});

/** The fingerprint as it was defined before the names' hash was kept (one text, then the arrays). */
function plainFingerprint(lp: SparseLp): string {
  const h = createHash("sha256").update(JSON.stringify([lp.colNames, lp.rowNames, lp.c0]));
  for (const a of [lp.c, lp.lower, lp.upper, lp.rowLower, lp.rowUpper, lp.rowStart, lp.colIndex, lp.values]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return `sha256:${h.digest("hex")}`;
}

Deno.test("problem data: the names of the days of a case are read once, and fingerprints stay the same", async () => {
  const ies = await kind.loadCase(kind.defaultCase);
  const day = (height: number, loadFactor: number) => kind.problemFor(ies, { height, loadFactor });
  const [d3, d4] = [day(3, 0.98), day(4, 1.01)];
  const [r3, r4] = [d3, d4].map((p) => kind.fromData!(structuredClone(problemData(kind, p))));
  const lp3 = r3.lp!, lp4 = r4.lp!;
  assert.equal(lp4.colNames, lp3.colNames, "day 4 reuses day 3's column names");
  assert.equal(lp4.rowNames, lp3.rowNames, "and its row names");
  assert.ok(Object.isFrozen(lp3.colNames), "shared names cannot be changed by one problem");
  // Every fingerprint, hashed with a kept names' hash or not, is the one the text defines.
  assert.notEqual(r3.id, r4.id, "the days' LPs differ");
  for (const [received, sent] of [[r3, d3], [r4, d4]]) {
    assert.equal(received.id, sent.id);
    assert.equal(received.id, plainFingerprint(received.lp!));
  }
  // Same names, another constant term: the kept hash of the names serves, the id follows c0.
  const shifted = { ...lp4, c0: lp4.c0 + 1 };
  assert.equal(lpFingerprint(shifted), plainFingerprint(shifted));
  assert.notEqual(lpFingerprint(shifted), r4.id);
  // Other names: the text is read again.
  const other = problemData(kind, day(5, 1)) as Data;
  const names = JSON.parse(new TextDecoder().decode(other.lp.names));
  names[0][0] = "renamed";
  other.lp.names = new TextEncoder().encode(JSON.stringify(names));
  const renamed = kind.fromData!(other).lp!;
  assert.equal(renamed.colNames[0], "renamed");
  assert.equal(lpFingerprint(renamed), plainFingerprint(renamed));
});

/** The names of `d` changed by `edit`, as the UTF-8 JSON text the data carries. */
function namesEdited(d: Data, edit: (names: unknown[][]) => void): Uint8Array {
  const names = JSON.parse(new TextDecoder().decode(d.lp.names));
  edit(names);
  return new TextEncoder().encode(JSON.stringify(names));
}

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
    ["not data at all", (d) => delete d.format, /format is not "ies-dispatch\/model-data@2"/],
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
    [
      "a name missing",
      (d) => (d.lp.names = namesEdited(d, (n) => n[0].pop())),
      /has \d+ entries, expected \d+/,
    ],
    [
      "a name that is no text",
      (d) => (d.lp.names = namesEdited(d, (n) => (n[1][2] = 7))),
      /lp\.rowNames is not a list/,
    ],
    ["names that are no JSON", (d) => (d.lp.names = d.lp.names.subarray(1)), /lp\.names is not UTF-8 JSON/],
    ["names as a plain list", (d) => (d.lp.names = [["x"], ["y"]]), /lp\.names is not a Uint8Array/],
    ["a layout column out of range", (d) => (d.layout.gridImportKw[0] = 1e6), /layout\.gridImportKw\[0\]/],
    ["a hub's column missing", (d) => d.layout.hubs[0].boilerHeatKw.pop(), /layout\.hubs\[0\]\.boilerHeatKw/],
    ["a case without hours", (d) => delete d.ies.horizon_hours, /horizon_hours/],
  ];
  for (const [what, edit, expected] of cases) {
    const said = await refusal(edit);
    assert.match(said, expected, `${what}: ${said}`);
  }
});
