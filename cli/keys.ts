/**
 * `poso keys generate` and `poso keys show`: the Ed25519 key directory of a
 * scenario's participants (actors/keys.ts: `<name>.key`, the private key,
 * mode 0600; `<name>.pub`, the public key).
 *
 * Only public keys are ever returned or printed; private keys stay in their
 * `.key` files.
 *
 * @module
 */
import { ensureKeyDir, KeyError, publicKeyFile, readPublicKey } from "../actors/keys.ts";
import { defaultDataDir, keySourceOf } from "../actors/supervisor.ts";
import type { Scenario } from "../scenarios/loader.ts";
import { renderTable } from "./table.ts";

/**
 * One participant's public key, as `poso keys` reports it.
 *
 * @example
 * ```ts
 * import type { PublicKeyEntry } from "./keys.ts";
 * const c: PublicKeyEntry = { name: "C", id: 8, publicKey: "epZ9-WZc…", file: "poso-data/keys/C.pub" };
 * ```
 */
export interface PublicKeyEntry {
  /** Participant name (`C`). */
  name: string;
  /** Participant id (`8`). */
  id: number;
  /** Raw Ed25519 public key, base64url. */
  publicKey: string;
  /** The `.pub` file it is stored in. */
  file: string;
}

/**
 * What `poso keys generate` and `poso keys show` report (and print with `--json`).
 *
 * @example
 * ```ts
 * import type { KeysReport } from "./keys.ts";
 * const shown: KeysReport = { dir: "poso-data/keys", created: [], keys: [] };
 * ```
 */
export interface KeysReport {
  /** The key directory. */
  dir: string;
  /** Names whose key pair this command created (always empty for `show`). */
  created: string[];
  /** Every participant's public key, in the scenario's order. */
  keys: PublicKeyEntry[];
}

/**
 * The key directory `poso run` would use for `scenario` with the default data
 * directory: the scenario's `keys:` directory, else `poso-data/<scenario file stem>/keys`. Throws a
 * KeyError for a scenario whose keys are derived from a seed (it has no key
 * files), naming the scenario file.
 *
 * @example
 * ```ts
 * import { parseScenario } from "../scenarios/loader.ts";
 * import { defaultKeyDir } from "./keys.ts";
 * const s = parseScenario(
 *   "nodes:\n  1: {name: A, is_delegate: true, is_normal: true}\n" +
 *     "  2: {name: B, is_delegate: true, is_normal: true}\n  3: {name: C, is_delegate: true, is_normal: true}\n",
 *   "s.yaml",
 * );
 * console.log(defaultKeyDir(s)); // "poso-data/s/keys"
 * ```
 */
export function defaultKeyDir(scenario: Scenario): string {
  const source = keySourceOf(scenario, defaultDataDir(scenario));
  if (source.kind === "seed") {
    throw new KeyError(
      scenario.file,
      `derives its keys from seed ${source.seed} (keys: seed), so it has no key files; ` +
        "name a key directory on the command line",
    );
  }
  return source.dir;
}

/**
 * Creates the missing key pairs of `scenario`'s participants in `dir`
 * (actors/keys.ts ensureKeyDir: existing keys are kept, a `.pub` that does not
 * match its `.key` is a KeyError) and returns the names created and every
 * public key. Never returns private key material.
 *
 * @example
 * ```ts ignore
 * import { loadScenarioFile } from "../scenarios/loader.ts";
 * const r = await generateKeys("out/keys", await loadScenarioFile("scenarios/scenario1.yaml"));
 * console.log(r.created); // ["A", "B", "C", "D", "E", "F", "G"] the first time, [] after
 * ```
 */
export async function generateKeys(dir: string, scenario: Scenario): Promise<KeysReport> {
  const { publicKeys, created } = await ensureKeyDir(dir, scenario.participants);
  return {
    dir,
    created,
    keys: scenario.participants.map((p) => ({
      name: p.name,
      id: p.id,
      publicKey: publicKeys[p.id],
      file: publicKeyFile(dir, p.name),
    })),
  };
}

/**
 * Reads every participant's public key from its `<name>.pub` file in `dir`.
 * A missing, unreadable or malformed file is a KeyError naming the file (a
 * missing one suggests `poso keys generate`). Reads no private key.
 *
 * @example
 * ```ts ignore
 * import { loadScenarioFile } from "../scenarios/loader.ts";
 * const r = await showKeys("out/keys", await loadScenarioFile("scenarios/scenario1.yaml"));
 * console.log(r.keys.map((k) => `${k.name} ${k.publicKey}`).join("\n"));
 * ```
 */
export async function showKeys(dir: string, scenario: Scenario): Promise<KeysReport> {
  const keys: PublicKeyEntry[] = [];
  for (const p of scenario.participants) {
    const file = publicKeyFile(dir, p.name);
    const text = await readPublicKey(dir, p.name);
    if (text === undefined) {
      throw new KeyError(
        file,
        `no such file (create the keys with \`poso keys generate ${dir} --scenario ${scenario.file}\`)`,
      );
    }
    keys.push({ name: p.name, id: p.id, publicKey: text, file });
  }
  return { dir, created: [], keys };
}

/**
 * The readable output of `poso keys generate` / `poso keys show`: what was
 * created (for `generate`), then a table of name, id and public key.
 *
 * @example
 * ```ts
 * import { formatKeys } from "./keys.ts";
 * const text = formatKeys(
 *   { dir: "k", created: ["A"], keys: [{ name: "A", id: 1, publicKey: "pk", file: "k/A.pub" }] },
 *   "generate",
 * );
 * console.log(text.split("\n")[0]); // "Created 1 key pair in k: A"
 * ```
 */
export function formatKeys(report: KeysReport, mode: "generate" | "show"): string {
  const lines: string[] = [];
  const n = report.keys.length;
  if (mode === "generate") {
    const c = report.created.length;
    lines.push(
      c === 0
        ? `Every participant already has a key pair in ${report.dir}; nothing created.`
        : `Created ${c} key pair${c === 1 ? "" : "s"} in ${report.dir}: ${report.created.join(", ")}` +
          (c < n ? ` (the other ${n - c} already existed)` : ""),
    );
  } else {
    lines.push(`Public keys in ${report.dir}:`);
  }
  lines.push(
    renderTable(
      ["name", "id", "public key (Ed25519, base64url)"],
      report.keys.map((k) => [k.name, String(k.id), k.publicKey]),
    ),
  );
  if (mode === "generate") {
    lines.push(`Private keys are in ${report.dir}/<name>.key (mode 0600) and are never printed.`);
  }
  return lines.join("\n");
}
