/**
 * Finds the headless Chromium the browser tests render in, or says in one line
 * why they are ignored and how to run them.
 *
 * Candidates, first that this run may start (its `--allow-run`) and that starts:
 * 1. the path in the `CHROMIUM` environment variable, read only when the run grants
 *    `--allow-env=CHROMIUM` (for a browser not on PATH, e.g. macOS's Chrome:
 *    `CHROMIUM=/path/to/chrome deno test --allow-read --allow-write=out/test-tmp
 *    --allow-env=CHROMIUM --allow-run=/path/to/chrome tests/report_test.ts`);
 * 2. `chromium`, `chromium-browser`, `google-chrome` on PATH (e.g.
 *    `deno test … --allow-run=google-chrome tests/report_test.ts`);
 * 3. `/usr/bin/chromium`, Debian's package, the only browser `deno task test` may
 *    start (`.ci/run` installs it, so CI always renders in a real browser).
 *
 * `deno task test` names the absolute path rather than `chromium`: Deno resolves a
 * command name in `--allow-run` when it starts and, where the name is not on PATH,
 * prints a "Failed to resolve" line for every test file; an absolute path is only
 * compared, never resolved.
 *
 * @module
 */

/** The environment variable that names a Chromium (or Chrome) executable. */
export const CHROMIUM_ENV = "CHROMIUM";
/** Browser commands looked up on PATH, in order. */
const BROWSER_NAMES = ["chromium", "chromium-browser", "google-chrome"] as const;
/** Where Debian's `chromium` package installs the browser; `deno task test` allows only this one. */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium";
/**
 * Kills a `--version` probe that hangs, ms. A safety net: the probe answers in well under a
 * second here (a snap-packaged browser may take a few seconds to start).
 */
const PROBE_KILL_AFTER_MS = 20_000;

/** A browser the tests may start, or why there is none. */
export type Chromium = { command: string; version: string } | { command?: undefined; why: string };

const granted = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";

function exists(path: string): boolean {
  if (!granted({ name: "read", path })) return false;
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** `command --version`'s first line, or undefined when it is missing or fails. */
async function probe(command: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(command, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(PROBE_KILL_AFTER_MS),
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim().split("\n")[0] : undefined;
  } catch {
    return undefined; // not installed (NotFound), or the probe hung
  }
}

/**
 * The first candidate (see the module doc) that this run may start and that answers
 * `--version`; otherwise one line saying why the browser tests are ignored and how to run them.
 */
export async function findChromium(): Promise<Chromium> {
  const fromEnv = granted({ name: "env", variable: CHROMIUM_ENV }) ? Deno.env.get(CHROMIUM_ENV) : undefined;
  const candidates = [...(fromEnv ? [fromEnv] : []), ...BROWSER_NAMES, DEBIAN_CHROMIUM];
  const refused: string[] = [];
  for (const command of candidates) {
    // A name is granted only when it resolves on PATH to an allowed path; querying never prompts.
    if (!granted({ name: "run", command })) {
      if (command.includes("/") && exists(command)) refused.push(command);
      continue;
    }
    const version = await probe(command);
    if (version !== undefined) return { command, version };
  }
  if (refused.length > 0) {
    return { why: `${refused[0]} is installed but this run may not start it: add --allow-run=${refused[0]}` };
  }
  return {
    why: `no Chromium found (${DEBIAN_CHROMIUM}, or chromium, chromium-browser, google-chrome on PATH): ` +
      "apt-get install chromium to render the report (another browser: see tests/chromium.ts)",
  };
}
