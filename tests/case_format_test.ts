/**
 * The dispatch case format: the JSON Schema (problems/ies-dispatch/case.schema.json) names
 * exactly the fields the validator reads, with the same required fields, types and ranges;
 * unknown keys and inconsistent back-references are errors naming the field; optional fields
 * get their documented defaults; the minimal example of docs/case-format.md validates and solves.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  buildDispatchModel,
  CaseError,
  caseFieldPaths,
  checkCertificate,
  type IesCase,
  parseCase,
  solveVariant,
  UOM_CASE_URL,
} from "../mod.ts";

type Json = Record<string, unknown>;
type Schema = Record<string, unknown>;

const SCHEMA_FILE = new URL("../problems/ies-dispatch/case.schema.json", import.meta.url);
const DOC_FILE = new URL("../docs/case-format.md", import.meta.url);

const schema: Schema = JSON.parse(await Deno.readTextFile(SCHEMA_FILE));
const bundledText = await Deno.readTextFile(UOM_CASE_URL);
/** The bundled case as plain JSON, parsed afresh for every mutation. */
const raw = (): Json => JSON.parse(bundledText);

/** Keywords of JSON Schema 2020-12 the schema may use (a misspelt keyword would be silently ignored). */
const KEYWORDS = new Set([
  "$schema",
  "$ref",
  "$defs",
  "title",
  "description",
  "type",
  "const",
  "properties",
  "additionalProperties",
  "required",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "maxLength",
]);

/** A schema with its `$ref` (to `#/$defs/...`) resolved; sibling keywords win. */
function resolve(s: Schema): Schema {
  const ref = s.$ref as string | undefined;
  if (!ref) return s;
  const name = /^#\/\$defs\/(\w+)$/.exec(ref)?.[1];
  const target = name ? (schema.$defs as Record<string, Schema>)[name] : undefined;
  assert.ok(target, `unresolvable $ref ${ref}`);
  const { $ref: _, ...rest } = s;
  return { ...resolve(target), ...rest };
}

/** Every leaf schema by field path (`hubs[].chp.max_kva`), with whether its object requires it. */
function schemaFields(s: Schema = schema, path = "", required = true): Map<string, [Schema, boolean]> {
  const out = new Map<string, [Schema, boolean]>();
  const r = resolve(s);
  if (r.type === "object") {
    const req = new Set(r.required as string[]);
    for (const [key, sub] of Object.entries(r.properties as Record<string, Schema>)) {
      const p = path ? `${path}.${key}` : key;
      out.set(p, [resolve(sub), req.has(key)]);
      const inner = resolve(sub);
      const items = inner.type === "array" ? resolve(inner.items as Schema) : undefined;
      if (inner.type === "object") { for (const [k, v] of schemaFields(sub, p)) out.set(k, v); }
      if (items?.type === "object") { for (const [k, v] of schemaFields(items, `${p}[]`)) out.set(k, v); }
    }
  }
  void required;
  return out;
}

/** The value at a field path in `json`, taking the first entry of every list. */
function locate(json: Json, path: string): { parent: Json; key: string; concrete: string } {
  let node: unknown = json;
  let concrete = "";
  const parts = path.split(".");
  for (const [i, part] of parts.entries()) {
    const key = part.replace(/\[\]$/, "");
    const last = i === parts.length - 1;
    if (last) return { parent: node as Json, key, concrete: concrete ? `${concrete}.${key}` : key };
    node = (node as Json)[key];
    concrete = concrete ? `${concrete}.${key}` : key;
    if (part.endsWith("[]")) {
      node = (node as unknown[])[0];
      concrete += "[0]";
    }
  }
  throw new Error("unreachable");
}

/** The CaseError `fn` throws (fails the test when it throws none or another error). */
function caseError(fn: () => unknown): CaseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CaseError) return e;
    throw e;
  }
  assert.fail("expected a CaseError");
}

Deno.test("the schema uses only JSON Schema 2020-12 keywords it means", () => {
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  const walk = (s: unknown, at: string): void => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) return;
    for (const [k, v] of Object.entries(s)) {
      if (at.endsWith(".properties") || at.endsWith(".$defs")) walk(v, `${at}.${k}`);
      else {
        assert.ok(KEYWORDS.has(k), `${at}: unknown keyword ${k}`);
        walk(v, `${at}.${k}`);
      }
    }
  };
  walk(schema, "(root)");
});

Deno.test("the schema names exactly the fields the validator reads", () => {
  const json = { $schema: "./case.schema.json", ...raw() };
  assert.deepEqual([...schemaFields().keys()].sort(), caseFieldPaths(json));
});

Deno.test("a field is required by the schema exactly when the validator says it is missing", async (t) => {
  for (const [path, [, required]] of schemaFields()) {
    if (path === "$schema") continue; // not in the bundled case: optional by the test below
    await t.step(path, () => {
      const json = raw();
      const { parent, key, concrete } = locate(json, path);
      assert.ok(key in parent, `the bundled case has no ${concrete}`);
      delete parent[key];
      if (required) {
        const e = caseError(() => parseCase(json));
        assert.equal(e.path, concrete);
        assert.equal(e.detail, "missing field");
      } else parseCase(json);
    });
  }
  parseCase({ $schema: "https://example.org/case.schema.json", ...raw() });
});

Deno.test("the validator refuses every value outside the schema's type and range", async (t) => {
  for (const [path, [field]] of schemaFields()) {
    const probes: unknown[] = [];
    const types = [field.type].flat();
    const numeric = types.includes("number") || types.includes("integer") ? field : undefined;
    const items = field.type === "array" ? resolve(field.items as Schema) : undefined;
    const num = numeric ?? (items?.type === "number" ? items : undefined);
    if (num) {
      if (typeof num.minimum === "number") probes.push(num.minimum - 1);
      if (typeof num.exclusiveMinimum === "number") probes.push(num.exclusiveMinimum);
      if (typeof num.maximum === "number") probes.push(num.maximum * 2 + 1);
      if (num.type === "integer") probes.push(1.5);
    }
    if (!types.includes("string")) probes.push("text");
    if (types.includes("string")) probes.push(1);
    if (field.type === "object" || field.type === "array") probes.push(null);
    for (const probe of probes) {
      await t.step(`${path} = ${JSON.stringify(probe)}`, () => {
        const json = { $schema: "x", ...raw() };
        const { parent, key, concrete } = locate(json, path);
        const inItems = items?.type === "number" && num === items && typeof probe === "number";
        if (inItems) (parent[key] as unknown[])[0] = probe;
        else parent[key] = probe;
        const e = caseError(() => parseCase(json));
        assert.equal(e.path, inItems ? `${concrete}[0]` : concrete, e.message);
      });
    }
  }
});

Deno.test("unknown keys are errors naming the field, with the field meant when it is close", async (t) => {
  const cases: [string, (c: Json) => void, string, RegExp][] = [
    [
      "a typo of a required field",
      (c) => {
        const chp = (c.hubs as Json[])[2].chp as Json;
        chp.max_kav = chp.max_kva;
        delete chp.max_kva;
      },
      "hubs[2].chp.max_kav",
      /^unknown field; did you mean max_kva\?$/,
    ],
    [
      "a typo of an optional field (the default would silently apply)",
      (c) => ((c.hubs as Json[])[0].battery as Json).retension = 0.5,
      "hubs[0].battery.retension",
      /did you mean retention\?/,
    ],
    [
      "a wrong case at the top level",
      (c) => c.Horizon_Hours = 24,
      "Horizon_Hours",
      /did you mean horizon_hours\?/,
    ],
    [
      "a key unlike any field lists the fields",
      (c) => (c.grid as Json).tariff = "peak",
      "grid.tariff",
      /^unknown field; the fields here are bus, import_price_usd_per_kwh, export_allowed$/,
    ],
    [
      "$schema only at the top level",
      (c) => ((c.electric as Json).buses as Json[])[4].$schema = "x",
      "electric.buses[4].$schema",
      /unknown field/,
    ],
    [
      "a prototype key from JSON",
      (c) => Object.assign((c.hubs as Json[])[1], JSON.parse('{"__proto__": {"id": 99}}')),
      "hubs[1].__proto__",
      /unknown field/,
    ],
    [
      "a very long key is cut in the message",
      (c) => c["k".repeat(100_000)] = 1,
      `${"k".repeat(64)}…`,
      /unknown field/,
    ],
  ];
  for (const [name, mutate, path, detail] of cases) {
    await t.step(name, () => {
      const json = raw();
      mutate(json);
      const e = caseError(() => parseCase(json, "my-case.json"));
      assert.equal(e.path, path);
      assert.match(e.detail, detail);
      assert.equal(e.message, `my-case.json: ${path}: ${e.detail}`);
    });
  }
});

/** Hub index (in the bundled case) by hub id, and the list entries of a table. */
const hubs = (c: Json) => c.hubs as Json[];
const buses = (c: Json) => (c.electric as Json).buses as Json[];
const heatNodes = (c: Json) => (c.heat as Json).nodes as Json[];
const gasNodes = (c: Json) => (c.gas as Json).nodes as Json[];

Deno.test("inconsistent references are errors naming the field", async (t) => {
  // The bundled case: bus 12 (buses[11]) holds hub 3 (hubs[2]), bus 5 (buses[4]) hub 4 (hubs[3]),
  // bus 2 (buses[1]) none; heat node 5 (nodes[4]) holds hub 3; gas node 17 (nodes[16]) hub 3.
  const cases: [string, (c: Json) => void, string, RegExp][] = [
    [
      "a bus naming a hub that names another bus",
      (c) => buses(c)[11].hub = 4,
      "electric.buses[11].hub",
      /^names hub 4, whose electric_bus is 5 \(hubs\[3\]\.electric_bus\), not bus 12$/,
    ],
    [
      "a bus naming a hub when no hub names it",
      (c) => buses(c)[1].hub = 3,
      "electric.buses[1].hub",
      /names hub 3, whose electric_bus is 12/,
    ],
    [
      "a bus saying null under a hub",
      (c) => buses(c)[11].hub = null,
      "electric.buses[11].hub",
      /^is null, but hub 3 sits on bus 12 \(hubs\[2\]\.electric_bus\)$/,
    ],
    [
      "a hub moved to another bus while the old bus still names it",
      (c) => hubs(c)[2].electric_bus = 2,
      "electric.buses[1].hub",
      /is null, but hub 3 sits on bus 2/,
    ],
    [
      "a heat node naming a hub that names another node",
      (c) => heatNodes(c)[4].hub = 1,
      "heat.nodes[4].hub",
      /names hub 1, whose heat_node is 36/,
    ],
    [
      "a gas node naming a hub that does not exist",
      (c) => gasNodes(c)[16].hub = 42,
      "gas.nodes[16].hub",
      /refers to hub 42, which does not exist/,
    ],
    [
      "two hubs on one bus",
      (c) => {
        hubs(c)[3].electric_bus = 12;
        delete buses(c)[4].hub;
      },
      "hubs[3].electric_bus",
      /bus 12 already holds hub 3 \(hubs\[2\]\.electric_bus\); a bus holds at most one hub/,
    ],
    [
      "a hub on a heat node that does not exist",
      (c) => hubs(c)[5].heat_node = 99,
      "hubs[5].heat_node",
      /refers to heat node 99, which does not exist/,
    ],
    [
      "a hub on a gas node that does not exist",
      (c) => hubs(c)[6].gas_node = 99,
      "hubs[6].gas_node",
      /refers to gas node 99/,
    ],
    [
      "a second bus marked slack",
      (c) => buses(c)[0].slack = true,
      "electric.buses[0].slack",
      /^is true, but electric\.slack_bus is 15: only that node is marked$/,
    ],
    [
      "the slack bus marked false",
      (c) => buses(c)[14].slack = false,
      "electric.buses[14].slack",
      /is false, but electric\.slack_bus names this node/,
    ],
    [
      "the gas source marked on another node",
      (c) => gasNodes(c)[0].source = true,
      "gas.nodes[0].source",
      /gas\.source_node is 37/,
    ],
    ["duplicate bus ids", (c) => buses(c)[3].id = 1, "electric.buses[3].id", /duplicate id 1/],
    ["duplicate hub ids", (c) => hubs(c)[7].id = 2, "hubs[7].id", /duplicate id 2/],
    [
      "duplicate heat-pipe ids",
      (c) => ((c.heat as Json).pipes as Json[])[9].id = 1,
      "heat.pipes[9].id",
      /duplicate id 1/,
    ],
    [
      "a heat pipe from a node that does not exist",
      (c) => ((c.heat as Json).pipes as Json[])[2].from = 77,
      "heat.pipes[2].from",
      /refers to heat node 77/,
    ],
    [
      "a gas pipe to a node that does not exist",
      (c) => ((c.gas as Json).pipes as Json[])[0].to = 77,
      "gas.pipes[0].to",
      /refers to gas node 77/,
    ],
    [
      "a branch joining a bus to itself",
      (c) => ((c.electric as Json).branches as Json[])[1].to = 1,
      "electric.branches[1].to",
      /joins bus 1 to itself/,
    ],
    [
      "the grid on a bus that does not exist",
      (c) => (c.grid as Json).bus = 16,
      "grid.bus",
      /refers to bus 16/,
    ],
    [
      "export to the grid",
      (c) => (c.grid as Json).export_allowed = true,
      "grid.export_allowed",
      /not modelled/,
    ],
    [
      "a concave CHP cost",
      (c) => ((hubs(c)[1].chp as Json).cost_usd as Json).a_per_mw2 = -1,
      "hubs[1].chp.cost_usd",
      /concave/,
    ],
    [
      "a horizon longer than a leap year",
      (c) => c.horizon_hours = 8785,
      "horizon_hours",
      /in \[1, 8784\], found 8785/,
    ],
    ["a name too long", (c) => c.name = "n".repeat(257), "name", /257 characters; at most 256/],
  ];
  for (const [name, mutate, path, detail] of cases) {
    await t.step(name, () => {
      const json = raw();
      mutate(json);
      const e = caseError(() => parseCase(json));
      assert.equal(e.path, path, e.message);
      assert.match(e.detail, detail);
    });
  }
});

/** The minimal example of docs/case-format.md (its first ```json block). */
async function docExample(): Promise<Json> {
  const md = await Deno.readTextFile(DOC_FILE);
  const block = /```json\n([\s\S]*?)\n```/.exec(md);
  assert.ok(block, "docs/case-format.md has no json example");
  return JSON.parse(block[1]);
}

Deno.test("optional fields get their defaults, and a validated case validates again unchanged", async () => {
  const example = await docExample();
  const c = parseCase(example);
  assert.deepEqual(c.load_factor, Array(c.horizon_hours).fill(1));
  assert.equal(c.grid.export_allowed, false);
  const hub = c.hubs[0];
  assert.deepEqual(c.electric.buses.find((b) => b.id === hub.electric_bus)?.hub, hub.id);
  assert.deepEqual(
    c.electric.buses.map((b) => b.slack),
    c.electric.buses.map((b) => b.id === c.electric.slack_bus),
  );
  assert.deepEqual(c.gas.nodes.map((n) => n.source), c.gas.nodes.map((n) => n.id === c.gas.source_node));
  // What a Worker receives is the validated case, and it validates it again.
  assert.deepEqual(parseCase(structuredClone(c)), c);
  const uom = parseCase(raw());
  assert.deepEqual(parseCase(structuredClone(uom)), uom);
  assert.deepEqual(parseCase(JSON.parse(JSON.stringify(uom))), uom);
});

/** Solves a case's optimal dispatch with HiGHS; returns the certificate's verdict and the true cost. */
async function solveCase(c: IesCase): Promise<{ verdict: string; costUsd: number }> {
  const model = buildDispatchModel(c);
  assert.ok(model.lp.c.every(Number.isFinite), "an objective coefficient is not finite");
  const s = await solveVariant(model, "optimal", { solver: "highs" });
  return { verdict: checkCertificate(model.lp, s.certificate).verdict, costUsd: s.cost.total };
}

Deno.test("the minimal example of docs/case-format.md solves, and its certificate is accepted", async () => {
  const c = parseCase(await docExample());
  const { verdict, costUsd } = await solveCase(c);
  assert.equal(verdict, "accepted");
  // Every kWh of load from the grid and every kWh of heat from the boiler is feasible: the optimum costs less.
  const lf = c.load_factor;
  const allGrid = c.grid.import_price_usd_per_kwh.reduce(
    (s, price, t) => s + price * lf[t] * c.electric.buses.reduce((p, b) => p + b.p_kw, 0),
    0,
  );
  assert.ok(costUsd > 0 && costUsd < allGrid + 1e-6 + heatByBoilerUsd(c), `cost ${costUsd}`);
});

/** What the heat load and the pipe losses cost from the boilers alone, $ (an upper bound of the optimum's heat). */
function heatByBoilerUsd(c: IesCase): number {
  const price = Math.max(...c.hubs.map((h) => h.gas_boiler.cost_usd_per_kwh_heat));
  const loadKwh = c.load_factor.reduce((s, f) => s + f * c.heat.nodes.reduce((p, n) => p + n.load_kw, 0), 0);
  const { supply_temperature_c: ts, nominal_return_temperature_c: tr, ambient_temperature_c: ta } = c.heat;
  const lossKw = c.heat.pipes.reduce(
    (s, p) => s + p.heat_loss_coefficient * p.length_m * (ts - ta + tr - ta) / 1000,
    0,
  );
  return price * (loadKwh + lossKw * c.horizon_hours);
}

Deno.test("a case with its own hub ids, and a hub without a CHP, builds and solves", async (t) => {
  await t.step("hubs numbered 101..108 (no hub 3, the published selfish leader's)", async () => {
    const json = raw();
    for (const h of hubs(json)) h.id = (h.id as number) + 100;
    for (const n of [...buses(json), ...heatNodes(json), ...gasNodes(json)]) {
      if (typeof n.hub === "number") n.hub += 100;
    }
    const { verdict, costUsd } = await solveCase(parseCase(json));
    assert.equal(verdict, "accepted");
    assert.ok(Math.abs(costUsd - 743.91) < 0.01, `cost ${costUsd}`);
  });
  await t.step("the minimal example's hub without its CHP (max_kva 0)", async () => {
    const json = await docExample();
    const withChp = await solveCase(parseCase(json));
    (hubs(json)[0].chp as Json).max_kva = 0;
    const { verdict, costUsd } = await solveCase(parseCase(json));
    assert.equal(verdict, "accepted");
    assert.ok(costUsd >= withChp.costUsd - 0.01, `a CHP less cannot make the day cheaper: ${costUsd}`);
  });
});
