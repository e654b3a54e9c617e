/**
 * The `poso` command line. Run `deno task poso --help`.
 *
 * @module
 */
import { runCli } from "./cli/program.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
