/**
 * Type-checks the Worker modules once, as `deno test` checks a Worker when it starts one: run with
 * `deno run --check` before the suite (the `test` task does). Without it the first test that starts
 * seven Workers has each of them check the same module graph at once (22-24 s of a 4.5 min suite on
 * a 2-core machine); after it they find the check cached.
 *
 * @module
 */
import { WORKER_MODULE } from "../actors/supervisor.ts";

/** Every module a run starts as a Worker. */
const WORKER_MODULES = [WORKER_MODULE, new URL("../actors/iteration_worker.ts", import.meta.url)];

for (const url of WORKER_MODULES) new Worker(url, { type: "module" }).terminate();
