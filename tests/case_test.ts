/**
 * The case loader: the bundled case loads, and every kind of bad case file
 * fails with a CaseError that names the field path and the file.
 *
 * The file tests write into one temporary directory under `out/test-tmp/`
 * (the only place the test task may write), which is removed at the end.
 */
import assert from "node:assert/strict";
import { CaseError, loadCaseFile, loadUomCase, parseCase, UOM_CASE_URL } from "../mod.ts";

/** Scratch space of the file tests; the test task grants write access here only. */
const TEST_TMP = "out/test-tmp";

type Json = Record<string, unknown>;

/** The bundled case as plain JSON, parsed afresh for every mutation. */
const raw = async (): Promise<Json> => JSON.parse(await Deno.readTextFile(UOM_CASE_URL));

/** Runs `fn`, expects a CaseError and checks its path, detail, message and file. */
async function expectCaseError(
  fn: () => unknown,
  expected: { path: string; detail: RegExp; file?: string },
): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof CaseError, `expected a CaseError, got ${error}`);
  assert.equal(error.path, expected.path);
  assert.match(error.detail, expected.detail);
  assert.ok(error.message.includes(expected.path || "(root)"), `message "${error.message}" names no path`);
  if (expected.file !== undefined) {
    assert.equal(error.file, expected.file);
    assert.ok(
      error.message.startsWith(`${expected.file}: ${expected.path || "(root)"}: `),
      `message "${error.message}" does not start with the file and the path`,
    );
  }
}

Deno.test("the bundled UoM case loads and validates", async () => {
  const ies = await loadUomCase();
  assert.equal(ies.horizon_hours, 24);
  assert.equal(ies.hubs.length, 8);
  assert.equal(ies.grid.import_price_usd_per_kwh.length, ies.horizon_hours);
  assert.equal(ies.load_factor.length, ies.horizon_hours);
  // docs/model.md: 15 buses and 14 branches, 36 heat nodes and 35 pipes, 37 gas nodes and 36 pipes.
  assert.deepEqual(
    [ies.electric.buses.length, ies.electric.branches.length],
    [15, 14],
  );
  assert.deepEqual([ies.heat.nodes.length, ies.heat.pipes.length], [36, 35]);
  assert.deepEqual([ies.gas.nodes.length, ies.gas.pipes.length], [37, 36]);
  // parseCase of the same JSON gives the same case.
  assert.deepEqual(parseCase(await raw()), ies);
});

Deno.test("bad fields are reported by their path", async (t) => {
  const cases: [string, (c: Json) => void, string, RegExp][] = [
    [
      "missing field",
      (c) => delete ((c.hubs as Json[])[5].gas_boiler as Json).efficiency,
      "hubs[5].gas_boiler.efficiency",
      /missing field/,
    ],
    [
      "wrong-typed field",
      (c) => ((c.hubs as Json[])[2].chp as Json).max_kva = "1000",
      "hubs[2].chp.max_kva",
      /expected a finite number, found the string "1000"/,
    ],
    [
      "negative capacity",
      (c) => ((c.hubs as Json[])[2].chp as Json).max_kva = -1000,
      "hubs[2].chp.max_kva",
      /expected a number >= 0, found -1000/,
    ],
    [
      "negative storage capacity",
      (c) => ((c.hubs as Json[])[7].battery as Json).capacity_kwh = -300,
      "hubs[7].battery.capacity_kwh",
      /found -300/,
    ],
    [
      "hub on a bus that does not exist",
      (c) => (c.hubs as Json[])[4].electric_bus = 99,
      "hubs[4].electric_bus",
      /refers to bus 99, which does not exist/,
    ],
    [
      "price array one hour short",
      (c) => ((c.grid as Json).import_price_usd_per_kwh as number[]).pop(),
      "grid.import_price_usd_per_kwh",
      /expected 24 numbers, found 23/,
    ],
    [
      "null inside a number array",
      (c) => (c.load_factor as unknown[])[11] = null,
      "load_factor[11]",
      /expected a finite number, found null/,
    ],
    [
      "branch to a bus that does not exist",
      (c) => ((c.electric as Json).branches as Json[])[3].to = 16,
      "electric.branches[3].to",
      /refers to bus 16/,
    ],
    [
      "object where a list belongs",
      (c) => (c.gas as Json).pipes = {},
      "gas.pipes",
      /expected an array, found object/,
    ],
    ["an empty object", (c) => Object.keys(c).forEach((k) => delete c[k]), "horizon_hours", /missing/],
  ];
  for (const [name, mutate, path, detail] of cases) {
    await t.step(name, async () => {
      const json = await raw();
      mutate(json);
      await expectCaseError(() => parseCase(json), { path, detail });
      // With a file name, the message starts with it.
      await expectCaseError(() => parseCase(json, "site/case.json"), {
        path,
        detail,
        file: "site/case.json",
      });
    });
  }
  await t.step(
    "a JSON array instead of a case",
    () =>
      expectCaseError(() => parseCase([1, 2]), { path: "", detail: /expected an object, found an array/ }),
  );
});

Deno.test("bad case files name the file and the field", async (t) => {
  await Deno.mkdir(TEST_TMP, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: TEST_TMP, prefix: "poso-case-test-" });
  try {
    const write = async (name: string, text: string) => {
      const file = `${dir}/${name}`;
      await Deno.writeTextFile(file, text);
      return file;
    };

    await t.step("a valid copy loads", async () => {
      const file = await write("copy.json", JSON.stringify(await raw()));
      assert.deepEqual(await loadCaseFile(file), await loadUomCase());
    });

    await t.step("a bad field in a file", async () => {
      const json = await raw();
      ((json.hubs as Json[])[2].chp as Json).max_kva = -1;
      const file = await write("negative.json", JSON.stringify(json, null, 2));
      await expectCaseError(() => loadCaseFile(file), {
        path: "hubs[2].chp.max_kva",
        detail: /found -1/,
        file,
      });
    });

    await t.step("invalid JSON", async () => {
      const file = await write("broken.json", '{ "name": "broken", ');
      await expectCaseError(() => loadCaseFile(file), { path: "", detail: /not valid JSON/, file });
    });

    await t.step("a missing file", async () => {
      const file = `${dir}/no-such-case.json`;
      await expectCaseError(() => loadCaseFile(file), { path: "", detail: /cannot read case file/, file });
    });

    await t.step("a URL names its path", async () => {
      const file = await write("url.json", "[]");
      const absolute = await Deno.realPath(file);
      const url = new URL(`file://${absolute}`);
      await expectCaseError(() => loadCaseFile(url), {
        path: "",
        detail: /expected an object/,
        file: absolute,
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
