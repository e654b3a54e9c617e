/**
 * Scenario files and their loader: the four shipped scenarios load and say
 * what docs/protocol.md says; every mistake a person can make in a scenario is
 * reported with file:line:column and the key; the original configuration's
 * fields are accepted with notices; and no input makes the loader throw
 * anything but a ScenarioError.
 *
 * Needs `--allow-read` (the files under scenarios/).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import {
  describeMisbehaviour,
  loadScenarioFile,
  parseScenario,
  type Scenario,
  ScenarioError,
} from "../scenarios/loader.ts";

import { baseLines as fixtureLines, withLineOf } from "./scenario_fixture.ts";

const FILE = "scenarios/test.yaml";

/** The shared base scenario (tests/scenario_fixture.ts), named Base. */
const baseLines = () => fixtureLines("Base");

/** The base scenario with line `n` (1-based) replaced by `lines`. */
const withLine = (n: number, ...lines: string[]) => withLineOf("Base", n, ...lines);

/** Parses `text`, expects a ScenarioError, and checks where it points and what it says. */
function expectError(
  text: string,
  where: { line: number; column: number; keyPath: string },
  detail: RegExp,
): ScenarioError {
  let err: unknown;
  try {
    parseScenario(text, FILE);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${err}`);
  assert.deepEqual({ line: err.line, column: err.column, keyPath: err.keyPath }, where, err.message);
  assert.match(err.detail, detail);
  const prefix = `${FILE}:${where.line}:${where.column}: ${where.keyPath ? `${where.keyPath}: ` : ""}`;
  assert.ok(err.message.startsWith(prefix), `message should start with ${prefix}: ${err.message}`);
  return err;
}

// ---------------------------------------------------------------------------
// The shipped scenarios

Deno.test("scenario1.yaml is the article's Scenario I", async () => {
  const s = await loadScenarioFile("scenarios/scenario1.yaml");
  assert.equal(s.name, "Scenario I");
  assert.equal(s.protocol, "paper");
  assert.equal(s.roundTimeoutMs, 3000, "the default round timeout");
  assert.deepEqual(
    s.participants.map((p) => [p.id, p.name, p.delegate, p.normal]),
    [
      [6, "A", false, true],
      [7, "B", false, true],
      [8, "C", true, true],
      [9, "D", true, true],
      [10, "E", true, true],
      [11, "F", true, true],
      [12, "G", true, true],
    ],
  );
  const byName = Object.fromEntries(s.participants.map((p) => [p.name, p.misbehaviour]));
  assert.deepEqual(byName.C, { follower_ignore: [9, 10, 12], follower_error: [8, 11] });
  assert.deepEqual(byName.F, { follower_trick_ignore: [9, 10, 12] });
  for (const n of ["A", "B", "D", "E", "G"]) assert.deepEqual(byName[n], {}, `${n} is honest`);
  assert.equal(s.maxRounds, 5, "defaults to one round per delegate");
  // Node 8 keeps the published code's address fields: kept, with a notice, for a runtime over the network.
  assert.deepEqual([s.participants[2].ip, s.participants[2].port], ["127.0.0.1", 9008]);
  assert.ok(
    s.notices.some((n) => n.startsWith("nodes.8.ip: kept as the node's network address")),
    s.notices.join("\n"),
  );
  assert.ok(s.notices.some((n) => n.startsWith("nodes.8.port: kept as the node's network address")));
});

Deno.test("every shipped scenario loads, has at most 7 participants and documents its expected outcome", async () => {
  for (const k of [1, 2, 3, 4]) {
    const file = `scenarios/scenario${k}.yaml`;
    const s = await loadScenarioFile(file);
    assert.ok(s.participants.length <= 7, file);
    const delegates = s.participants.filter((p) => p.delegate);
    assert.equal(delegates.length, 5, file);
    // Crashing and slow nodes are faulty, not dishonest.
    const dishonest = delegates.filter((p) =>
      Object.keys(p.misbehaviour).some((b) => b !== "crash_at_round" && b !== "delay_ms")
    );
    assert.ok(
      dishonest.length * 2 < delegates.length,
      `${file}: fewer than half of the delegates are dishonest`,
    );
    const text = await Deno.readTextFile(file);
    assert.ok(text.startsWith("#"), `${file} starts with its comment block`);
    assert.match(text, /Expected outcome:/, file);
    assert.match(text, /Outcome: round \d, leader [C-G], \$744 per day/, file);
  }
});

Deno.test("scenarios 2-4 exercise the behaviour families they claim", async () => {
  const load = async (k: number) => {
    const s = await loadScenarioFile(`scenarios/scenario${k}.yaml`);
    return Object.fromEntries(s.participants.map((p) => [p.name, p.misbehaviour]));
  };
  const s2 = await load(2);
  assert.deepEqual(s2.C, {}, "scenario 2 has an honest leader C");
  assert.ok(s2.F.follower_trick_error?.length && s2.G.follower_trick_ignore?.length);

  const s3 = await load(3);
  assert.deepEqual(s3.C.follower_error, [8, 9]);
  assert.deepEqual(s3.C.follower_ignore, [10, 11, 12]);
  assert.deepEqual(s3.D, { follower_collusion: [8] });

  const s4raw = await loadScenarioFile("scenarios/scenario4.yaml");
  const s4 = Object.fromEntries(s4raw.participants.map((p) => [p.name, p.misbehaviour]));
  assert.ok(s4.C.equivocate?.length);
  assert.equal(s4.G.crash_at_round, 2);
  const delay = s4.E.delay_ms ?? Infinity;
  assert.ok(
    delay + 2 * s4raw.linkDelayMs[1] < s4raw.roundTimeoutMs,
    "E's delayed relays land before the timeout",
  );
  // C equivocates, E delays, G crashes: three of five delegates, so the file says no guarantee holds.
  assert.equal(s4raw.notices.length, 1);
  assert.match(s4raw.notices[0], /^nodes: 3 of the 5 delegates are dishonest \(C, E, G\): half or more/);
});

Deno.test("defaults: name from the file, seed 1, 3 s, [1, 20] ms links, one round per delegate", () => {
  const lines = baseLines().slice(1).filter((l) => !l.includes("round_timeout_sec"));
  const s: Scenario = parseScenario(lines.join("\n"), "dir/my-case.yml");
  assert.equal(s.name, "my-case");
  assert.equal(s.description, "");
  assert.equal(s.file, "dir/my-case.yml");
  assert.equal(s.seed, 1);
  assert.equal(s.roundTimeoutMs, 3000);
  assert.deepEqual(s.linkDelayMs, [1, 20]);
  assert.equal(s.maxRounds, 5);
  assert.equal(s.normalVerify, false);
  assert.deepEqual(s.notices, []);
});

Deno.test("scene parameters are read and converted to ms", () => {
  const s = parseScenario(
    withLine(
      4,
      "    round_timeout_sec: 0.25",
      "    max_rounds: 3",
      "    link_delay_ms: [0, 5]",
      "    normal_verify: true",
    ),
    FILE,
  );
  assert.equal(s.roundTimeoutMs, 250);
  assert.equal(s.maxRounds, 3);
  assert.deepEqual(s.linkDelayMs, [0, 5]);
  assert.equal(s.normalVerify, true);
});

Deno.test("participants come out sorted by id, whatever the file order", () => {
  const lines = baseLines();
  const text = [...lines.slice(0, 5), ...lines.slice(13).reverse(), ...lines.slice(5, 13)].join("\n");
  assert.deepEqual(parseScenario(text, FILE).participants.map((p) => p.id), [6, 7, 8, 9, 10, 11, 12]);
});

Deno.test("describeMisbehaviour renders one line per role", () => {
  const names = { 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
  assert.deepEqual(
    describeMisbehaviour({ follower_ignore: [9, 10, 12], follower_error: [8, 11] }, names, 8),
    ["C as leader: sends nothing to D, E, G; sends the selfish dispatch to C, F"],
  );
  assert.deepEqual(describeMisbehaviour({}, names, 8), []);
  const lines = describeMisbehaviour(
    { follower_collusion: [8], follower_trick_ignore: [13], crash_at_round: 2, delay_ms: 50 },
    new Map([[9, "D"], [8, "C"]]),
    9,
  );
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^D as follower: accepts unchecked .* from C; relays nothing to node 13$/);
  assert.match(lines[1], /^D crashes when round 2 starts/);
  assert.match(lines[2], /^D holds back .* 50 ms$/);
});

// ---------------------------------------------------------------------------
// Errors name file:line:column and the key

Deno.test("bad YAML syntax points at the line and column", () => {
  const err = expectError(
    withLine(9, "    name: [C"),
    { line: 10, column: 5, keyPath: "" },
    /^not valid YAML: /,
  );
  assert.ok(err.problems.length >= 1);
});

Deno.test("an unknown behaviour key is an error that suggests the nearest key", () => {
  expectError(
    withLine(13, "      follower_ignroe: [9, 10, 12]"),
    { line: 13, column: 7, keyPath: "nodes.8.leader_evil.follower_ignroe" },
    /unknown behaviour; did you mean follower_ignore\?/,
  );
  expectError(
    withLine(13, "      broadcast_everything: [9]"),
    { line: 13, column: 7, keyPath: "nodes.8.leader_evil.broadcast_everything" },
    /unknown behaviour; the behaviours are follower_ignore, .*delay_ms/,
  );
});

Deno.test("a behaviour that is not a list says what it found", () => {
  const err = expectError(
    withLine(13, '      follower_ignore: "x"'),
    { line: 13, column: 24, keyPath: "nodes.8.leader_evil.follower_ignore" },
    /^expected a list of delegate ids, found "x"$/,
  );
  assert.equal(
    err.message,
    'scenarios/test.yaml:13:24: nodes.8.leader_evil.follower_ignore: expected a list of delegate ids, found "x"',
  );
  expectError(
    withLine(13, "      follower_ignore: 9"),
    { line: 13, column: 24, keyPath: "nodes.8.leader_evil.follower_ignore" },
    /found 9 \(write \[9\]\)/,
  );
});

Deno.test("non-integer ids are errors, as node keys and in behaviour lists", () => {
  expectError(
    withLine(7, "  7.5: { name: B, is_delegate: false, is_normal: true }"),
    { line: 7, column: 3, keyPath: "nodes.7.5" },
    /node ids are integers from 0 to 4294967295, found 7.5/,
  );
  expectError(
    withLine(7, "  -7: { name: B, is_delegate: false, is_normal: true }"),
    { line: 7, column: 3, keyPath: "nodes.-7" },
    /node ids are integers/,
  );
  expectError(
    withLine(13, "      follower_ignore: [9, ten, 12]"),
    { line: 13, column: 28, keyPath: "nodes.8.leader_evil.follower_ignore[1]" },
    /expected a delegate id \(an integer\), found "ten"/,
  );
  expectError(
    withLine(13, '      follower_ignore: [9, "10"]'),
    { line: 13, column: 28, keyPath: "nodes.8.leader_evil.follower_ignore[1]" },
    /write it without quotes/,
  );
});

Deno.test("an id in a behaviour list that is not a delegate names the key and the id", () => {
  expectError(
    withLine(13, "      follower_error: [9, 6]"),
    { line: 13, column: 27, keyPath: "nodes.8.leader_evil.follower_error[1]" },
    /^6 is not a delegate \(delegates: 8 C, 9 D, 10 E, 11 F, 12 G\)$/,
  );
  expectError(
    withLine(13, "      follower_collusion: [99]"),
    { line: 13, column: 28, keyPath: "nodes.8.leader_evil.follower_collusion[0]" },
    /^99 is not a delegate/,
  );
});

Deno.test("a follower in two leader behaviours is an error (a leader sends one thing to each)", () => {
  expectError(
    withLine(13, "      follower_ignore: [9, 10]", "      follower_error: [10]"),
    { line: 14, column: 24, keyPath: "nodes.8.leader_evil.follower_error" },
    /10 is also in follower_ignore/,
  );
});

Deno.test("crash_at_round and delay_ms must be whole numbers in range", () => {
  expectError(
    withLine(13, "      crash_at_round: 0"),
    { line: 13, column: 23, keyPath: "nodes.8.leader_evil.crash_at_round" },
    /an integer >= 1\), found 0$/,
  );
  expectError(
    withLine(13, "      delay_ms: 2.5"),
    { line: 13, column: 17, keyPath: "nodes.8.leader_evil.delay_ms" },
    /an integer >= 0\), found 2.5$/,
  );
});

Deno.test("a node without a name is named after its id; an empty or bad name is an error", () => {
  const s = parseScenario(withLine(9), FILE);
  assert.equal(s.participants.find((p) => p.id === 8)?.name, "N8");
  assert.ok(
    s.notices.includes("nodes.8.name: not given, so the node is named after its id: N8"),
    s.notices.join("\n"),
  );
  expectError(
    withLine(9, '    name: ""'),
    { line: 9, column: 11, keyPath: "nodes.8.name" },
    /the name is empty/,
  );
  expectError(
    withLine(9, "    name: 3"),
    { line: 9, column: 11, keyPath: "nodes.8.name" },
    /quote it: name: "3"/,
  );
});

Deno.test("duplicate names are an error at the second one", () => {
  expectError(
    withLine(9, "    name: D"),
    { line: 14, column: 14, keyPath: "nodes.9.name" },
    /"D" is already the name of node 8/,
  );
});

Deno.test("the same id twice is an error, quoted or not", () => {
  expectError(
    withLine(7, '  "6": { name: B, is_delegate: false, is_normal: true }'),
    { line: 7, column: 3, keyPath: "nodes.6" },
    /node id 6 is defined twice/,
  );
});

Deno.test("a round timeout <= 0 is an error", () => {
  for (const bad of ["0", "-1", "fast", ".nan"]) {
    expectError(
      withLine(4, `    round_timeout_sec: ${bad}`),
      { line: 4, column: 24, keyPath: "scene.params.round_timeout_sec" },
      /expected a number of seconds > 0/,
    );
  }
});

Deno.test("fewer than 3 delegates loads with a notice that explains the majority rule; none is an error", () => {
  const text = withLine(15, "  10: { name: E, is_delegate: false, is_normal: true }")
    .replace("11: { name: F, is_delegate: true", "11: { name: F, is_delegate: false")
    .replace("12: { name: G, is_delegate: true", "12: { name: G, is_delegate: false")
    .replace("follower_ignore: [9, 10, 12]", "follower_ignore: [9]");
  const s = parseScenario(text, FILE);
  assert.deepEqual(s.participants.filter((p) => p.delegate).map((p) => p.name), ["C", "D"]);
  assert.ok(
    s.notices.some((n) =>
      /^nodes: only 2 delegates \(C, D\): with fewer than 3, a single dishonest delegate is already half .*more than half of the delegates/
        .test(n)
    ),
    s.notices.join("\n"),
  );
  expectError(
    baseLines().join("\n").replaceAll("is_delegate: true", "is_delegate: false").replace(
      "follower_ignore: [9, 10, 12]",
      "follower_ignore: []",
    ),
    { line: 5, column: 1, keyPath: "nodes" },
    /^no delegate \(is_delegate: true\); .*at least one is needed/,
  );
});

Deno.test("no normal node is an error", () => {
  const text = baseLines().join("\n").replaceAll("is_normal: true", "is_normal: false");
  expectError(text, { line: 5, column: 1, keyPath: "nodes" }, /no normal node/);
});

Deno.test('protocol is "paper" (default) or "strict"; strict reads phase_sec and fault_tolerance', () => {
  assert.equal(parseScenario(baseLines().join("\n"), FILE).protocol, "paper");
  const strict = parseScenario(withLine(1, "name: Base", "protocol: strict"), FILE);
  assert.equal(strict.protocol, "strict");
  assert.equal(strict.phaseMs, 500);
  assert.equal(strict.faultTolerance, undefined);
  expectError(
    withLine(1, "protocol: pbft"),
    { line: 1, column: 11, keyPath: "protocol" },
    /unknown protocol "pbft"; use "paper" \(the default\) or "strict"/,
  );
});

Deno.test("a typo of a key that matters is an error, not a silent default", () => {
  expectError(
    withLine(10, "    is_delegte: true"),
    { line: 10, column: 5, keyPath: "nodes.8.is_delegte" },
    /unknown node key; did you mean is_delegate\?/,
  );
  expectError(
    withLine(4, "    round_timeout_secs: 3"),
    { line: 4, column: 5, keyPath: "scene.params.round_timeout_secs" },
    /did you mean round_timeout_sec\?/,
  );
});

Deno.test("every problem of the file is listed, the first one in the fields", () => {
  const err = expectError(
    withLine(13, "      follower_ignore: [99]", "      delay_ms: -1"),
    { line: 13, column: 25, keyPath: "nodes.8.leader_evil.follower_ignore[0]" },
    /99 is not a delegate/,
  );
  assert.equal(err.problems.length, 2);
  assert.match(
    err.message,
    /and 1 more problem:\n {2}scenarios\/test.yaml:14:17: nodes.8.leader_evil.delay_ms: /,
  );
});

Deno.test("documents that are not a mapping, or have no nodes, are errors", () => {
  expectError("", { line: 1, column: 1, keyPath: "" }, /expected a mapping with a nodes: section/);
  expectError("- 1\n- 2\n", { line: 1, column: 1, keyPath: "" }, /found a list/);
  expectError(
    "name: x\n",
    { line: 1, column: 1, keyPath: "nodes" },
    /missing: a scenario lists its participants/,
  );
  expectError(
    "nodes: 3\n",
    { line: 1, column: 8, keyPath: "nodes" },
    /expected a mapping from node id to node/,
  );
});

Deno.test("a file that cannot be read is a ScenarioError without a line", async () => {
  await assert.rejects(loadScenarioFile("scenarios/no-such-scenario.yaml"), (e: unknown) => {
    assert.ok(e instanceof ScenarioError);
    assert.equal(e.line, 0);
    assert.equal(e.message, "scenarios/no-such-scenario.yaml: no such file");
    return true;
  });
});

// ---------------------------------------------------------------------------
// The original configuration's fields

Deno.test("fields of the original configuration are accepted and reported as notices", () => {
  const s = parseScenario(
    [
      "log_level: info",
      "frobnicate: 1",
      ...withLine(
        11,
        "    is_normal: true",
        "    port: 9008",
        "    public_key: keys/8.pub",
        "    pk_path: a",
        "    sk_path: b",
        "    hub_file: hub.xlsx",
        "    gams_dir: C:/GAMS",
        "    delegate_evil: { broadcast_ignore: [9] }",
        "    colour: blue",
      ).split("\n"),
    ].join("\n"),
    FILE,
  );
  const n = (prefix: string) => s.notices.find((x) => x.startsWith(prefix)) ?? "";
  assert.match(n("nodes.8.port:"), /^nodes.8.port: kept as the node's network address/);
  assert.match(n("nodes.8.public_key:"), /ignored \(.*key file/);
  assert.match(n("nodes.8.pk_path:"), /ignored/);
  assert.match(n("nodes.8.sk_path:"), /ignored/);
  assert.match(n("nodes.8.hub_file:"), /ignored \(.*hub spreadsheet/);
  assert.match(n("nodes.8.gams_dir:"), /ignored \(.*GAMS/);
  assert.match(n("nodes.8.delegate_evil:"), /not implemented/);
  assert.match(n("nodes.8.colour:"), /ignored \(not a node key/);
  assert.match(n("log_level:"), /ignored/);
  assert.match(n("frobnicate:"), /ignored \(not a top-level key/);
  assert.deepEqual(s.participants.find((p) => p.id === 8)?.misbehaviour, { follower_ignore: [9, 10, 12] });
});

Deno.test("behaviours with no effect are notices", () => {
  const s = parseScenario(
    withLine(6, "  6:", "    name: A", "    is_normal: true", "    leader_evil: { follower_ignore: [9] }") +
      "",
    FILE,
  );
  assert.ok(s.notices.some((n) => /^nodes\.6\.leader_evil: has no effect: node 6 is not a delegate/.test(n)));
  const late = parseScenario(withLine(13, "      crash_at_round: 9", "      delay_ms: 3000"), FILE);
  assert.ok(late.notices.some((n) => /crash_at_round: round 9 is after the last round \(5\)/.test(n)));
  assert.ok(late.notices.some((n) => /delay_ms: .* may arrive too late/.test(n)));
});

// ---------------------------------------------------------------------------
// Property: nothing but ScenarioError, whatever the input

function neverThrowsOtherwise(text: string): boolean {
  try {
    parseScenario(text, "fuzz.yaml");
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    if (!/^fuzz\.yaml(:\d+:\d+)?: /.test(e.message)) throw new Error(`badly formed message: ${e.message}`);
  }
  return true;
}

const VOCABULARY = [
  "name",
  "description",
  "protocol",
  "seed",
  "scene",
  "params",
  "round_timeout_sec",
  "max_rounds",
  "link_delay_ms",
  "normal_verify",
  "nodes",
  "is_delegate",
  "is_normal",
  "leader_evil",
  "ip",
  ...["follower_ignore", "follower_error", "follower_feasible", "follower_collusion"],
  ...["follower_trick_ignore", "follower_trick_error", "equivocate", "crash_at_round", "delay_ms"],
  ...["equivocate_metadata", "oversize", "junk", "impersonate"],
  // Files of the published code: YAML 1.1 booleans, scene classes and their parameters, addresses.
  ...["yes", "No", "on", "OFF", "y", "N", "class", "a.MultiEnergyPoo", "x.SimpleSum", "SimpleAdd", "port"],
  ...["step_timeout_sec", "final_round", "ptry", "transport", "tcpv1", "micronet_init_sec", "127.0.0.1"],
];

Deno.test("property: random strings never make the loader throw anything but ScenarioError", () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), neverThrowsOtherwise), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), neverThrowsOtherwise), {
    numRuns: 300,
  });
  const yamlish = fc.array(
    fc.oneof(
      fc.constantFrom(
        ...VOCABULARY,
        ":",
        " ",
        "  ",
        "\n",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a",
        "*a",
        "!!int",
        "'",
      ),
      fc.integer({ min: -2, max: 14 }).map(String),
    ),
    { maxLength: 60 },
  ).map((parts) => parts.join(""));
  fc.assert(fc.property(yamlish, neverThrowsOtherwise), { numRuns: 500 });
});

Deno.test("property: random YAML documents built from scenario keys never throw anything but ScenarioError", () => {
  const key = fc.oneof(
    fc.constantFrom(...VOCABULARY),
    fc.integer({ min: -1, max: 13 }),
    fc.string({ maxLength: 4 }),
  );
  const leaf = fc.oneof(
    fc.integer({ min: -3, max: 14 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom("paper", "strict", "C", "x", ""),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie("value")), { maxLength: 5 }).map((kv) => new Map(kv)),
    ),
  }));
  const doc = fc.array(fc.tuple(key, value), { maxLength: 6 }).map((kv) => stringify(new Map(kv)));
  fc.assert(fc.property(doc, neverThrowsOtherwise), { numRuns: 500 });
});

Deno.test("property: any edit of a valid scenario yields a Scenario or a ScenarioError", async () => {
  const text = await Deno.readTextFile("scenarios/scenario1.yaml");
  const edit = fc.tuple(
    fc.nat({ max: text.length }),
    fc.nat({ max: 12 }),
    fc.oneof(
      fc.constantFrom("", "x", "9", "[", "- ", ":", "\n", "  ", "~", "-1"),
      fc.string({ maxLength: 4 }),
    ),
  );
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
      let t = text;
      for (const [at, cut, ins] of edits) t = t.slice(0, at) + ins + t.slice(at + cut);
      return neverThrowsOtherwise(t);
    }),
    { numRuns: 500 },
  );
});

Deno.test("the behaviours of issue 9 load: equivocate_metadata, oversize, junk, impersonate (any participant)", () => {
  const s = parseScenario(
    withLine(
      13,
      "      equivocate_metadata: [11, 12]",
      "      oversize: [9]",
      "      junk: true",
      "      impersonate: [6, 10]",
    ),
    FILE,
  );
  assert.deepEqual(s.participants.find((p) => p.id === 8)?.misbehaviour, {
    equivocate_metadata: [11, 12],
    oversize: [9],
    impersonate: [6, 10],
    junk: true,
  });
  const names = { 6: "A", 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
  const lines = describeMisbehaviour(s.participants.find((p) => p.id === 8)!.misbehaviour, names, 8);
  assert.deepEqual(lines, [
    "C as leader: sends F, G the same dispatch with another claimed cost and label (equivocates)",
    "C sends D proposals far larger than the problem",
    "C sends junk payloads to everyone at every round start",
    "C sends its relays and decisions in the name of A, E (unsigned by them)",
  ]);
  // impersonate takes any participant; the others take delegates only.
  expectError(
    withLine(13, "      impersonate: [6, 99]"),
    { line: 13, column: 24, keyPath: "nodes.8.leader_evil.impersonate[1]" },
    /^99 is not a participant \(participants: 6, 7, 8, 9, 10, 11, 12\)$/,
  );
  expectError(
    withLine(13, "      oversize: [6]"),
    { line: 13, column: 18, keyPath: "nodes.8.leader_evil.oversize[0]" },
    /^6 is not a delegate/,
  );
  expectError(
    withLine(13, "      junk: 1"),
    { line: 13, column: 13, keyPath: "nodes.8.leader_evil.junk" },
    /^expected true or false \(or yes\/no, on\/off, y\/n, in any letter case\), found 1$/,
  );
  // A follower gets one thing from the leader: equivocate_metadata is a leader-send behaviour.
  expectError(
    withLine(13, "      equivocate: [9]", "      equivocate_metadata: [9]"),
    { line: 14, column: 29, keyPath: "nodes.8.leader_evil.equivocate_metadata" },
    /9 is also in equivocate/,
  );
});
