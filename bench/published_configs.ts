/**
 * Loads every `*.yaml` file of a directory the user names (for example a clone of the published PoSo
 * code, whose configuration files are `config.*.yaml`) and prints, per file, whether it loads and what it
 * runs (the problem kind PoSo runs on, the published scene class, the participants, the round timeout),
 * or the loader's error, which names the file, the line, the column and the key.
 *
 * Run: `deno task bench:published <dir>` (needs only `--allow-read`: it loads, it runs nothing).
 *
 * @module
 */
import { join } from "node:path";
import { isDishonest, loadScenarioFile, type Scenario, ScenarioError } from "../scenarios/loader.ts";

/** Most files one call looks at: a directory of configuration files holds a few dozen. */
export const MAX_CONFIG_FILES = 1000;

/** What loading one configuration file gave. */
export interface ConfigOutcome {
  /** The file's name within the directory. */
  file: string;
  /** The scenario, when it loads. */
  scenario?: Scenario;
  /** The loader's error message (every problem, one per line), when it does not. */
  error?: string;
  /** Milliseconds the loader took. */
  ms: number;
}

/**
 * Loads every regular file whose name ends in `.yaml` in `dir` (not its subdirectories; a symbolic link
 * counts when it names a regular file), in name order, at most {@link MAX_CONFIG_FILES}.
 * Throws when `dir` cannot be listed.
 */
export async function loadConfigs(dir: string): Promise<{ outcomes: ConfigOutcome[]; skipped: number }> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.endsWith(".yaml")) continue;
      let isFile = entry.isFile;
      if (entry.isSymlink) isFile = await Deno.stat(join(dir, entry.name)).then((s) => s.isFile, () => false);
      if (isFile) names.push(entry.name);
    }
  } catch (e) {
    throw new Error(`cannot list ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  names.sort();
  const outcomes: ConfigOutcome[] = [];
  for (const file of names.slice(0, MAX_CONFIG_FILES)) {
    const t0 = performance.now();
    try {
      const scenario = await loadScenarioFile(join(dir, file));
      outcomes.push({ file, scenario, ms: performance.now() - t0 });
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      outcomes.push({ file, error: e.message, ms: performance.now() - t0 });
    }
  }
  return { outcomes, skipped: Math.max(0, names.length - MAX_CONFIG_FILES) };
}

/** The last dotted part of a Python class path. */
const className = (path: string) => path.slice(path.lastIndexOf(".") + 1);

/**
 * What a loaded scenario runs, in one line: the problem kind and case, the published scene class, the
 * participants and their roles, the dishonest ones, the protocol and the round timeout.
 *
 * @example
 * ```ts
 * import { parseScenario } from "../scenarios/loader.ts";
 * import { whatRuns } from "./published_configs.ts";
 * const s = parseScenario(
 *   "scene: { class: a.SimpleSum }\nnodes:\n  1: {is_delegate: yes, is_normal: yes}\n" +
 *     "  2: {is_delegate: yes}\n  3: {is_delegate: yes}\n",
 *   "x.yaml",
 * );
 * console.log(whatRuns(s));
 * // PoSo on simple-sum (bundled case), scene class SimpleSum; 3 nodes N1-N3 (3 delegates, 1 normal); ...
 * ```
 */
export function whatRuns(s: Scenario): string {
  const delegates = s.participants.filter((p) => p.delegate);
  const normals = s.participants.filter((p) => p.normal);
  const dishonest = delegates.filter(isDishonest).map((p) => p.name);
  const names = s.participants.length <= 8
    ? s.participants.map((p) => p.name).join(" ")
    : `${s.participants[0].name} ... ${s.participants[s.participants.length - 1].name}`;
  if (s.iteration?.kind === "simple-add") {
    const evil = s.participants.filter((p) => p.normalEvil).map((p) => p.name);
    return `the published SimpleAdd iteration` +
      (s.sceneClass === undefined ? "" : `, scene class ${className(s.sceneClass)}`) +
      `; ${s.participants.length} nodes ${names} (${delegates.length} delegates, ${normals.length} normal)` +
      (evil.length > 0 ? `, dishonest: ${evil.join(" ")}` : ", all honest") +
      `; after ${s.iteration.finalRound} rounds`;
  }
  if (s.iteration) {
    const evil = s.participants.filter((p) => p.normalEvil || p.delegateEvil).map((p) => p.name);
    return `the published price iteration on ${s.problem} (${
      s.casePath === undefined ? "bundled case" : `case ${s.casePath}`
    })` + (s.sceneClass === undefined ? "" : `, scene class ${className(s.sceneClass)}`) +
      `; ${s.participants.length} nodes ${names} (${delegates.length} delegates, ${normals.length} communities)` +
      (evil.length > 0 ? `, dishonest: ${evil.join(" ")}` : ", all honest") +
      `; stops below ${s.iteration.tolerance} CNY/MWh or after ${s.iteration.finalRound} rounds`;
  }
  return `PoSo on ${s.problem} (${s.casePath === undefined ? "bundled case" : `case ${s.casePath}`})` +
    (s.sceneClass === undefined ? "" : `, scene class ${className(s.sceneClass)}`) +
    `; ${s.participants.length} nodes ${names} (${delegates.length} delegates, ${normals.length} normal)` +
    (dishonest.length > 0 ? `, dishonest: ${dishonest.join(" ")}` : ", all honest") +
    `; protocol ${s.protocol}, round timeout ${s.roundTimeoutMs / 1000} s, at most ${s.maxRounds} rounds`;
}

/** The report of {@link loadConfigs}: one block per file, then a count. With `notices`, each file's notices. */
export function formatOutcomes(
  dir: string,
  outcomes: readonly ConfigOutcome[],
  skipped: number,
  notices = false,
): string {
  const lines = [`${outcomes.length} .yaml file${outcomes.length === 1 ? "" : "s"} in ${dir}`, ""];
  for (const o of outcomes) {
    const ms = `${o.ms.toFixed(1)} ms`;
    if (o.scenario) {
      lines.push(`${o.file}: loads (${ms}, ${o.scenario.notices.length} notices)`);
      lines.push(`  runs: ${whatRuns(o.scenario)}`);
      if (notices) { for (const n of o.scenario.notices) lines.push(`  notice: ${n}`); }
    } else {
      lines.push(`${o.file}: stops (${ms})`);
      for (const l of (o.error ?? "").split("\n")) lines.push(`  ${l}`);
    }
  }
  const loads = outcomes.filter((o) => o.scenario).length;
  lines.push("", `${loads} load, ${outcomes.length - loads} stop`);
  if (skipped > 0) lines.push(`${skipped} more .yaml files not looked at (at most ${MAX_CONFIG_FILES})`);
  return lines.join("\n");
}

const USAGE = "usage: deno task bench:published <directory> [--notices]\n" +
  "  loads every *.yaml file of the directory and prints what each runs, or why it stops";

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "--notices");
  if (args.length !== 1 || args[0].startsWith("-")) {
    console.error(USAGE);
    Deno.exit(2);
  }
  try {
    const { outcomes, skipped } = await loadConfigs(args[0]);
    console.log(formatOutcomes(args[0], outcomes, skipped, Deno.args.includes("--notices")));
  } catch (e) {
    console.error(`bench:published: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
