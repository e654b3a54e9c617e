/**
 * Shared fixture of the test suite: the University of Manchester dispatch model,
 * built once per test process, and its solved variants.
 *
 * `solveVariant` caches GLPK solves per model object, so every test that goes
 * through {@link uomModel} and {@link variant} shares the same three solves
 * (optimal, selfish, feasible) instead of paying ~1 s for each.
 *
 * @module
 */
import {
  buildDispatchModel,
  type DispatchModel,
  type HubColumns,
  loadUomCase,
  solveVariant,
  type Variant,
  type VariantSolution,
} from "../mod.ts";
import type { FromWorker, WorkerInit } from "../actors/protocol.ts";
import { type KeySource, publicKeysOf } from "../actors/keys.ts";
import type { Scenario } from "../scenarios/loader.ts";
import { genesisOf, WORKER_MODULE } from "../actors/supervisor.ts";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { type CliIo, runCli } from "../cli/program.ts";

let model: Promise<DispatchModel> | undefined;

/** The UoM dispatch model, built on first use and shared by every test of the process. */
export function uomModel(): Promise<DispatchModel> {
  model ??= loadUomCase().then((ies) => buildDispatchModel(ies));
  return model;
}

/** A solved proposal variant of the shared model (GLPK runs once per objective). */
export async function variant(name: Variant): Promise<VariantSolution> {
  return solveVariant(await uomModel(), name);
}

/** The hub columns of the hub with this id (not its position in the case). */
export async function hubColumns(id: number): Promise<HubColumns> {
  const m = await uomModel();
  const hub = m.layout.hubs.find((h) => h.id === id);
  if (!hub) throw new Error(`the case has no hub ${id}`);
  return hub;
}

/** Root of every file a test writes (the test task may write only here). */
export const TEST_TMP = "out/test-tmp";

/** A fresh, empty directory under {@link TEST_TMP}, named after `prefix`. */
export async function tmpDir(prefix: string): Promise<string> {
  await Deno.mkdir(TEST_TMP, { recursive: true });
  return await Deno.makeTempDir({ dir: TEST_TMP, prefix: `${prefix}-` });
}

/** One participant's Worker driven by a test: every reply kept, and a wait for a condition on them. */
export interface WorkerHarness {
  /** The Worker (terminate it when done). */
  worker: Worker;
  /** Every message it posted, in order. */
  replies: FromWorker[];
  /** Resolves once `pred` holds of the replies (checked after each reply). */
  until(pred: () => boolean): Promise<void>;
  /** The message of an uncaught error in the Worker, if any. */
  error(): string | undefined;
}

/** Starts a participant Worker (actors/worker.ts) for a test. */
export function workerHarness(): WorkerHarness {
  const worker = new Worker(WORKER_MODULE, { type: "module" });
  const replies: FromWorker[] = [];
  let wake: (() => void) | undefined;
  let error: string | undefined;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    replies.push(e.data);
    wake?.();
  };
  worker.onerror = (e) => {
    e.preventDefault();
    error = e.message;
    wake?.();
  };
  return {
    worker,
    replies,
    async until(pred) {
      while (!pred() && error === undefined) await new Promise<void>((r) => (wake = r));
    },
    error: () => error,
  };
}

/** What one `runCli` call printed, and its exit status. */
export interface CliResult {
  status: number;
  out: string;
  err: string;
}

/**
 * Runs the CLI in-process with an io that captures what it prints (`terminal`: whether stderr is a
 * terminal). Never coloured: it asserts that no escape sequence appears, whatever the command.
 */
export async function cli(args: string[], terminal = false): Promise<CliResult> {
  const out: string[] = [], err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    // As the real io: create the folder only when it is missing.
    writeFile: async (path, text) => {
      try {
        await Deno.writeTextFile(path, text);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        await Deno.mkdir(dirname(path), { recursive: true });
        await Deno.writeTextFile(path, text);
      }
    },
    errIsTerminal: () => terminal,
  };
  const status = await runCli(args, io);
  const result = { status, out: out.join("\n"), err: err.join("\n") };
  assert.ok(
    !(result.out + result.err).includes("\x1b"),
    `escape sequence in the output of poso ${args.join(" ")}`,
  );
  return result;
}

/** Runs `fn` with a fresh directory under out/test-tmp, removed afterwards. */
export async function withTmpDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tmpDir(prefix);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * What every Worker's `init` message of a test shares: the keys (seeded from 1 unless `keys` says
 * otherwise), every participant's public key, the chain's genesis and the bundled dispatch case.
 */
export async function workerInitBase(
  scenario: Scenario,
  keys: KeySource = { kind: "seed", seed: 1 },
): Promise<Pick<WorkerInit, "keys" | "publicKeys" | "genesis" | "problem">> {
  const publicKeys = await publicKeysOf(keys, scenario.participants);
  return {
    keys,
    publicKeys,
    genesis: await genesisOf(scenario, publicKeys),
    problem: { kind: "ies-dispatch", case: await loadUomCase() },
  };
}

/**
 * The text a live page's event stream (`/events`, Server-Sent Events) sends from its start until
 * `until` matches what came so far (or the stream ends).
 */
export async function eventStreamUntil(res: Response, until: RegExp): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!until.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text;
}
