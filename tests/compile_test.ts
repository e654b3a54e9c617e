/**
 * The single binary (`deno task compile`) embeds exactly the Worker modules and
 * run-time files poso needs, and runs with the `poso` task's permissions.
 *
 * `deno compile` embeds the static module graph of main.ts and the npm packages
 * (whole, so glpk.js's glpk.wasm comes along), but neither a Worker's module
 * (`new Worker(new URL("./worker.ts", import.meta.url))`) nor a file the code
 * reads at run time (`Deno.readTextFile(new URL("./data/x.json", import.meta.url))`):
 * each of those needs an `--include` in the `compile` task of deno.json, the one
 * list this test reads.
 *
 * The test finds what is needed from the source, without running anything:
 * it walks the module graph of main.ts (static imports other than `import type`,
 * and dynamic imports of a string literal), scans each module for
 *
 * - `new Worker(<module>)`, where `<module>` is `new URL("<path>", import.meta.url)`,
 *   `import.meta.resolve("<path>")`, or a `const` holding one of those (in the
 *   same module, or exported by a module of the graph): the Worker module, whose
 *   own graph is walked in turn, since what it spawns or reads is needed too;
 * - every other `new URL("<path>", import.meta.url)` / `import.meta.resolve("<path>")`:
 *   a file read at run time (the convention of `UOM_CASE_URL` in problems/ies-dispatch/case.ts);
 *
 * and requires the task's `--include` list to be that set, no more, no less.
 * A use of `import.meta.url`, `.resolve`, `.dirname` or `.filename` in any other
 * form (a computed path, a template with `${}`), or a Worker whose module the
 * test cannot resolve, fails the test with the file and line: keep such
 * references in the literal form, so the list stays checkable.
 *
 * The graph walk itself was checked against `deno info --json` when it was
 * written; the scanner tests below pin its rules on small fixtures.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const DENO_JSON = new URL("deno.json", ROOT);

// ---------------------------------------------------------------------------
// Comments out, code and literals kept

const REGEX_AFTER_CHARS = new Set([..."(,=:[!&|?{};+-*%<>~^"]);
const REGEX_AFTER_WORDS = new Set(
  "return typeof instanceof in of new delete void throw case do else yield await".split(" "),
);

/**
 * `src` with every comment blanked (newlines kept, so offsets and line numbers
 * stay right). Strings, template literals (with `${}` code inside) and regular
 * expression literals are kept as they are, so a `//` or `/*` in them is not
 * taken for a comment.
 */
function stripComments(src: string): string {
  const out: string[] = [];
  const n = src.length;
  let i = 0;
  let lastChar = "";
  let lastWord = "";

  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  const endOfString = (from: number, quote: string): number => {
    let j = from + 1;
    while (j < n && src[j] !== quote && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
    return Math.min(n, j + 1);
  };
  const endOfRegex = (from: number): number | undefined => {
    let j = from + 1;
    let inClass = false;
    while (j < n) {
      const c = src[j];
      if (c === "\n") return undefined;
      if (c === "\\") j++;
      else if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) break;
      j++;
    }
    if (j >= n) return undefined;
    j++;
    while (j < n && /[a-z]/.test(src[j])) j++;
    return j;
  };

  // Code up to the end, or (inside a template's `${`) up to its unmatched `}`.
  const code = (inTemplate: boolean): void => {
    let depth = 0;
    while (i < n) {
      const c = src[i], d = src[i + 1];
      if (c === "/" && d === "/") {
        const nl = src.indexOf("\n", i);
        const end = nl < 0 ? n : nl;
        out.push(blank(src.slice(i, end)));
        i = end;
      } else if (c === "/" && d === "*") {
        const close = src.indexOf("*/", i + 2);
        const end = close < 0 ? n : close + 2;
        out.push(blank(src.slice(i, end)));
        i = end;
      } else if (c === '"' || c === "'") {
        const end = endOfString(i, c);
        out.push(src.slice(i, end));
        i = end;
        lastChar = ")";
      } else if (c === "`") {
        template();
        lastChar = ")";
      } else if (c === "/") {
        const isRegex = lastChar === "" || REGEX_AFTER_CHARS.has(lastChar) ||
          (/[\w$]/.test(lastChar) && REGEX_AFTER_WORDS.has(lastWord));
        const end = isRegex ? endOfRegex(i) : undefined;
        out.push(src.slice(i, end ?? i + 1));
        i = end ?? i + 1;
        lastChar = end === undefined ? "/" : ")";
      } else if (/[\w$]/.test(c)) {
        const word = /[\w$]+/y;
        word.lastIndex = i;
        const w = word.exec(src)![0];
        out.push(w);
        i += w.length;
        lastChar = w[w.length - 1];
        lastWord = w;
      } else {
        if (c === "{") depth++;
        if (c === "}") {
          if (inTemplate && depth === 0) return;
          depth--;
        }
        out.push(c);
        i++;
        if (!/\s/.test(c)) lastChar = c;
      }
    }
  };

  // A template literal from its opening backtick to just after its closing one.
  const template = (): void => {
    out.push("`");
    i++;
    while (i < n) {
      const c = src[i];
      if (c === "\\") {
        out.push(src.slice(i, i + 2));
        i += 2;
      } else if (c === "`") {
        out.push("`");
        i++;
        return;
      } else if (c === "$" && src[i + 1] === "{") {
        out.push("${");
        i += 2;
        code(true);
        if (i < n) {
          out.push("}");
          i++;
        }
      } else {
        out.push(c);
        i++;
      }
    }
  };

  code(false);
  return out.join("");
}

// ---------------------------------------------------------------------------
// The binary's module graph, Worker modules and run-time files

/** Where something is referenced: `path:line`. */
type Site = string;

/** What the binary needs, by repo-relative path. */
interface BinaryNeeds {
  /** Modules of the binary (main.ts's graph and each Worker module's), JSON modules included. */
  modules: Set<string>;
  /** Worker modules, with the places that spawn them. */
  workers: Map<string, Site[]>;
  /** Files read at run time, with the places that refer to them. */
  files: Map<string, Site[]>;
  /** References the test cannot check; each fails the test. */
  problems: string[];
}

/** Reads a module's text; undefined if there is no such file. */
type SourceReader = (url: URL) => Promise<string | undefined>;

interface FileRef {
  url: URL;
  start: number;
  end: number;
  line: number;
  /** The `const` it initialises, if any. */
  name?: string;
  exported: boolean;
}

const SCRIPT = /\.(?:ts|tsx|mts|js|jsx|mjs)$/;
const STATIC_IMPORT =
  /(?<![\w$.])(?:import|export)\s+(type\s+)?(?:[\w$*{}\s,]*?\bfrom\s*)?(["'])([^"'\n]+)\2/g;
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*(["'`])([^"'`\n]+)\1\s*[,)]/g;
const NEW_URL = /new\s+URL\s*\(\s*(["'`])([^"'`\n]*)\1\s*,\s*import\.meta\.url\s*\)/g;
const META_RESOLVE = /import\.meta\.resolve\s*\(\s*(["'`])([^"'`\n]*)\1\s*\)/g;
const META_USE = /import\.meta\.(?:url|resolve|dirname|filename)\b/g;
const NEW_WORKER = /(?<![\w$.])new\s+Worker\s*\(/g;
const BINDING = /(export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=;]*)?=\s*$/;

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let k = text.indexOf("\n"); k >= 0 && k < offset; k = text.indexOf("\n", k + 1)) line++;
  return line;
}

/** The argument text of a call whose `(` ends just before `from`, and where it starts. */
function firstArgument(code: string, from: number): { text: string; start: number } {
  let depth = 0;
  let j = from;
  for (; j < code.length; j++) {
    const c = code[j];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if ((c === ")" || c === "]" || c === "}") && depth > 0) depth--;
    else if ((c === "," || c === ")") && depth === 0) break;
  }
  const raw = code.slice(from, j);
  const lead = raw.length - raw.trimStart().length;
  return { text: raw.trim(), start: from + lead };
}

/**
 * Walks the module graph from `entry` as `deno compile` embeds it, adding each
 * Worker module as a root, and collects Worker modules and run-time files.
 * `importMap` is deno.json's `imports` (bare specifiers that map to local files
 * are followed; npm:, jsr:, node: and remote ones are not local modules).
 */
async function scanBinary(
  entry: URL,
  root: URL,
  read: SourceReader,
  importMap: Record<string, string> = {},
  importMapBase: URL = root,
): Promise<BinaryNeeds> {
  const rel = (url: URL) => decodeURIComponent(url.href.slice(root.href.length)).replace(/\/$/, "");
  const inRoot = (url: URL) => url.href.startsWith(root.href);

  const resolveSpecifier = (spec: string, base: URL): URL | undefined => {
    if (/^\.{0,2}\//.test(spec)) return new URL(spec, base);
    if (spec.startsWith("file:")) return new URL(spec);
    let key = spec in importMap ? spec : undefined;
    if (key === undefined) {
      key = Object.keys(importMap)
        .filter((k) => k.endsWith("/") && spec.startsWith(k))
        .sort((a, b) => b.length - a.length)[0];
    }
    if (key === undefined) return undefined;
    const target = importMap[key] + spec.slice(key.length);
    return /^\.{0,2}\//.test(target) ? new URL(target, importMapBase) : undefined;
  };

  const codeOf = new Map<string, string>(); // href -> source without comments
  const modules = new Set<string>(); // hrefs
  const missing: string[] = [];
  const roots: URL[] = [entry];

  while (true) {
    // 1. The graph of the roots so far.
    const queue = [...roots];
    while (queue.length > 0) {
      const url = queue.pop()!;
      if (modules.has(url.href)) continue;
      modules.add(url.href);
      if (!SCRIPT.test(url.pathname)) continue;
      const src = await read(url);
      if (src === undefined) {
        missing.push(`${rel(url)}: imported but not found`);
        continue;
      }
      const code = stripComments(src);
      codeOf.set(url.href, code);
      const specs = [
        ...[...code.matchAll(STATIC_IMPORT)].filter((m) => !m[1]).map((m) => m[3]),
        ...[...code.matchAll(DYNAMIC_IMPORT)].filter((m) => !m[2].includes("${")).map((m) => m[2]),
      ];
      for (const spec of specs) {
        const dep = resolveSpecifier(spec, url);
        if (dep && dep.protocol === "file:") queue.push(dep);
      }
    }

    // 2. Every import.meta-relative reference, and every Worker, in those modules.
    const problems: string[] = [...missing];
    const refsOf = new Map<string, FileRef[]>();
    for (const [href, code] of codeOf) {
      const file = rel(new URL(href));
      const refs: FileRef[] = [];
      const covered: Array<[number, number]> = [];
      for (const m of [...code.matchAll(NEW_URL), ...code.matchAll(META_RESOLVE)]) {
        const start = m.index!, end = start + m[0].length;
        covered.push([start, end]);
        const line = lineAt(code, start);
        const spec = m[2];
        if (spec.includes("${") || /^[a-z][a-z0-9+.-]*:/i.test(spec) || spec === "") {
          problems.push(
            `${file}:${line}: "${spec}" is not a fixed relative path: the include list cannot be checked`,
          );
          continue;
        }
        const url = new URL(spec, href);
        if (!inRoot(url)) {
          problems.push(`${file}:${line}: "${spec}" is outside the project`);
          continue;
        }
        const binding = BINDING.exec(code.slice(Math.max(0, start - 200), start));
        refs.push({ url, start, end, line, name: binding?.[2], exported: Boolean(binding?.[1]) });
      }
      for (const m of code.matchAll(META_USE)) {
        if (!covered.some(([s, e]) => m.index! >= s && m.index! < e)) {
          problems.push(
            `${file}:${lineAt(code, m.index!)}: \`${m[0]}\` used other than as ` +
              `new URL("<relative path>", import.meta.url): the include list cannot be checked`,
          );
        }
      }
      refsOf.set(href, refs);
    }

    const workerRefs = new Set<FileRef>();
    const workers = new Map<string, Site[]>();
    for (const [href, code] of codeOf) {
      const file = rel(new URL(href));
      for (const m of code.matchAll(NEW_WORKER)) {
        const arg = firstArgument(code, m.index! + m[0].length);
        const site = `${file}:${lineAt(code, m.index!)}`;
        let ref = refsOf.get(href)!.find((r) =>
          r.start === arg.start && /^(?:\.href)?$/.test(code.slice(r.end, arg.start + arg.text.length))
        );
        const id = /^([A-Za-z_$][\w$]*)(?:\.href)?$/.exec(arg.text)?.[1];
        if (!ref && id) {
          ref = refsOf.get(href)!.find((r) => r.name === id);
          if (!ref) {
            const exported = [...refsOf.values()].flat().filter((r) => r.exported && r.name === id);
            if (exported.length === 1) ref = exported[0];
          }
        }
        if (!ref) {
          problems.push(
            `${site}: cannot tell which module \`new Worker(${arg.text}, ...)\` runs; spawn Workers with ` +
              `new URL("./module.ts", import.meta.url), inline or through a const`,
          );
          continue;
        }
        workerRefs.add(ref);
        const path = rel(ref.url);
        workers.set(path, [...(workers.get(path) ?? []), site]);
      }
    }

    const files = new Map<string, Site[]>();
    for (const [href, refs] of refsOf) {
      for (const r of refs) {
        if (workerRefs.has(r)) continue;
        const path = rel(r.url);
        files.set(path, [...(files.get(path) ?? []), `${rel(new URL(href))}:${r.line}`]);
      }
    }

    // 3. A Worker module not walked yet is one more root.
    const fresh = [...workerRefs].map((r) => r.url).filter((u) => !modules.has(u.href));
    if (fresh.length === 0) {
      return { modules: new Set([...modules].map((h) => rel(new URL(h)))), workers, files, problems };
    }
    roots.push(...fresh);
  }
}

// ---------------------------------------------------------------------------
// deno.json's tasks

interface DenoJson {
  tasks: Record<string, string | { command: string }>;
  imports?: Record<string, string>;
}

async function denoJson(): Promise<DenoJson> {
  return JSON.parse(await Deno.readTextFile(DENO_JSON));
}

/** A task's command split into words; it must be one plain command (no quoting, no shell operators). */
function taskWords(config: DenoJson, name: string): string[] {
  const task = config.tasks[name];
  assert.ok(task !== undefined, `deno.json has no "${name}" task`);
  const command = typeof task === "string" ? task : task.command;
  assert.doesNotMatch(
    command,
    /["'`$&|;<>()\\]/,
    `the "${name}" task must stay one plain command (no quotes or shell operators) so this test reads it exactly`,
  );
  return command.trim().split(/\s+/);
}

/** The `--include` values of a command, normalised to repo-relative paths. */
function includesOf(words: string[]): string[] {
  const out: string[] = [];
  words.forEach((w, k) => {
    const value = w === "--include" ? words[k + 1] : w.startsWith("--include=") ? w.slice(10) : undefined;
    if (value === undefined) return;
    assert.ok(!value.includes(","), `one path per --include, got "${value}"`);
    out.push(value.replace(/^\.\//, "").replace(/\/$/, ""));
  });
  return out;
}

const PERMISSION =
  /^(?:--(?:allow|deny|ignore)-[a-z-]+(?:=.*)?|-[ARWNES](?:=.*)?|-P(?:=.*)?|--permission-set(?:=.*)?)$/;

/** The permission flags of a command, sorted. */
function permissionsOf(words: string[]): string[] {
  return words.filter((w) => PERMISSION.test(w)).sort();
}

async function readSource(url: URL): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(url);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function scanPoso(): Promise<BinaryNeeds> {
  const config = await denoJson();
  return scanBinary(new URL("main.ts", ROOT), ROOT, readSource, config.imports, DENO_JSON);
}

function listing(needs: Map<string, Site[]>, paths: string[], what: string): string {
  return paths.map((p) => `  --include ${p}   (${what}: ${needs.get(p)?.join(", ")})`).join("\n");
}

// ---------------------------------------------------------------------------
// The checks on this repository

Deno.test("compile: the --include list is exactly the Worker modules and run-time files poso needs", async () => {
  const words = taskWords(await denoJson(), "compile");
  const includes = includesOf(words);
  const needs = await scanPoso();

  assert.deepEqual(needs.problems, [], "references the include list cannot be checked against");

  const dupes = includes.filter((p, k) => includes.indexOf(p) !== k);
  assert.deepEqual(dupes, [], "paths included twice");

  const required = new Set([...needs.workers.keys(), ...needs.files.keys()]);
  const missingWorkers = [...needs.workers.keys()].filter((p) => !includes.includes(p)).sort();
  const missingFiles = [...needs.files.keys()].filter((p) => !includes.includes(p)).sort();
  assert.ok(
    missingWorkers.length + missingFiles.length === 0,
    'the "compile" task in deno.json lacks:\n' +
      listing(needs.workers, missingWorkers, "Worker module spawned at") +
      (missingWorkers.length && missingFiles.length ? "\n" : "") +
      listing(needs.files, missingFiles, "read at run time, referenced at"),
  );

  const extra = includes.filter((p) => !required.has(p));
  assert.deepEqual(
    extra,
    [],
    'the "compile" task in deno.json includes paths that no Worker spawn or run-time read of the binary ' +
      'refers to (remove them, or refer to them as new URL("...", import.meta.url))',
  );

  for (const p of includes) {
    const info = await Deno.stat(new URL(p, ROOT)).catch(() => undefined);
    assert.ok(info?.isFile || info?.isDirectory, `--include ${p}: no such file or directory`);
  }
});

Deno.test("compile: the binary gets the poso task's permissions, never more, and keeps npm packages whole", async () => {
  const config = await denoJson();
  const compile = taskWords(config, "compile");
  const poso = taskWords(config, "poso");

  assert.deepEqual(compile.slice(0, 2), ["deno", "compile"]);
  assert.equal(compile[compile.length - 1], "main.ts", "the entry point is main.ts");
  assert.deepEqual(
    permissionsOf(compile),
    permissionsOf(poso),
    'the binary must be granted exactly what the "poso" task grants',
  );
  assert.ok(!compile.includes("-A") && !compile.includes("--allow-all"), "no -A in the binary");
  assert.ok(permissionsOf(compile).length > 0, "no permission flags found: the binary could read nothing");
  assert.ok(compile.includes("--no-prompt"), "the binary must not prompt for permissions beyond its own");
  // glpk.js reads glpk.wasm beside its own module at run time; --bundle keeps only
  // the code it reaches and would leave the .wasm out.
  assert.ok(!compile.includes("--bundle"), "--bundle drops glpk.js's glpk.wasm from the binary");
});

// ---------------------------------------------------------------------------
// The scanner on made-up sources: what it must catch, and what it must not

const FX = new URL("file:///fx/");
function fixture(files: Record<string, string>): SourceReader {
  return (url) => Promise.resolve(files[url.href.slice(FX.href.length)]);
}

Deno.test("compile scanner: finds Workers (inline, const, imported const), their graphs and run-time files", async () => {
  const needs = await scanBinary(
    new URL("main.ts", FX),
    FX,
    fixture({
      "main.ts": `
        import { run } from "./a/run.ts";
        import type { T } from "./typeonly.ts";
        import "@app/side.ts";
        // new Worker(new URL("./commented.ts", import.meta.url))
        /* const X = new URL("./commented.json", import.meta.url); */
        const s = "http://not-a-comment/*"; const re = /["'\\/]/g; const t = \`a\${"}"}\`;
        const lazy = await import("./lazy.ts");
        new Worker(new URL("./w/inline.ts", import.meta.url), { type: "module" });
      `,
      "a/run.ts": `
        import { POOL_MODULE } from "../w/pool.ts";
        export const CONFIG_URL: URL = new URL("../data/config.json", import.meta.url);
        export function run() { return new Worker(POOL_MODULE, { type: "module" }); }
      `,
      "w/pool.ts": `export const POOL_MODULE = new URL("./pool_worker.ts", import.meta.url);`,
      "w/pool_worker.ts": `import { wasm } from "../lib/wasm.ts";`,
      "w/inline.ts": `const local = new URL("./child.ts", import.meta.url); new Worker(local.href);`,
      "w/child.ts": `export {};`,
      "lib/wasm.ts": `export const wasm = await Deno.readFile(new URL("./solver.wasm", import.meta.url));`,
      "lazy.ts": `export const rows = import.meta.resolve("./data/rows.csv");`,
      "side.ts": `Deno.readTextFileSync(new URL("./side.txt", import.meta.url));`,
      "typeonly.ts": `export type T = 1; const unused = new URL("./types-data.json", import.meta.url);`,
    }),
    { "@app/": "./" },
    FX,
  );
  assert.deepEqual(needs.problems, []);
  assert.deepEqual([...needs.workers.keys()].sort(), [
    "w/child.ts",
    "w/inline.ts",
    "w/pool_worker.ts",
  ]);
  assert.deepEqual([...needs.files.keys()].sort(), [
    "data/config.json",
    "data/rows.csv",
    "lib/solver.wasm",
    "side.txt",
  ]);
  assert.deepEqual(needs.workers.get("w/pool_worker.ts"), ["a/run.ts:4"]);
  assert.ok(needs.modules.has("lib/wasm.ts"), "a Worker module's imports are part of the binary");
  assert.ok(!needs.modules.has("typeonly.ts"), "import type is erased");
});

Deno.test("compile scanner: a reference it cannot resolve is a problem, not a silent pass", async () => {
  const needs = await scanBinary(
    new URL("main.ts", FX),
    FX,
    fixture({
      "main.ts": [
        `const name = Deno.args[0];`,
        `new Worker(new URL(\`./w/\${name}.ts\`, import.meta.url));`,
        `new Worker(pickModule());`,
        `const dir = import.meta.dirname + "/data";`,
        `import "./gone.ts";`,
      ].join("\n"),
    }),
  );
  assert.equal(needs.problems.length, 5, needs.problems.join("\n"));
  assert.match(needs.problems.join("\n"), /main\.ts:2: "\.\/w\/\$\{name\}\.ts" is not a fixed relative path/);
  assert.match(needs.problems.join("\n"), /main\.ts:2: cannot tell which module/);
  assert.match(needs.problems.join("\n"), /main\.ts:3: cannot tell which module `new Worker\(pickModule\(\)/);
  assert.match(needs.problems.join("\n"), /main\.ts:4: `import\.meta\.dirname` used other than/);
  assert.match(needs.problems.join("\n"), /gone\.ts: imported but not found/);
});
