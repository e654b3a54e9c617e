/**
 * The layout of folders is the architecture: consensus/ and actors/ reach
 * problems only through the contract (problems/types.ts), the registry and
 * the days' schedule, never a concrete kind's folder; lp/ knows nothing of
 * energy, consensus or the runtimes. These tests read every import of those
 * folders and fail naming the file, line and import that breaks a rule.
 */
import assert from "node:assert/strict";

/** Files of problems/ that consensus/ and actors/ may import: the contract, not a kind. */
const PROBLEM_CONTRACT = ["problems/types.ts", "problems/registry.ts", "problems/schedule.ts"];

/** Every static or dynamic relative import of a TypeScript file, with its line. */
export function importsOf(source: string): { line: number; spec: string }[] {
  const out: { line: number; spec: string }[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of source.matchAll(pattern)) {
    out.push({ line: source.slice(0, m.index).split("\n").length, spec: m[1] });
  }
  return out;
}

/** Resolves `spec` (relative to `file`) to a path from the repository root. */
function resolveFrom(file: string, spec: string): string {
  const parts = file.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await tsFiles(path));
    else if (e.isFile && e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Imports of the files under `dirs` that `forbidden` rejects, as `file:line imports target`. */
async function violations(dirs: string[], forbidden: (target: string) => boolean): Promise<string[]> {
  const bad: string[] = [];
  for (const dir of dirs) {
    for (const file of await tsFiles(dir)) {
      for (const { line, spec } of importsOf(await Deno.readTextFile(file))) {
        const target = resolveFrom(file, spec);
        if (forbidden(target)) bad.push(`${file}:${line} imports ${target}`);
      }
    }
  }
  return bad;
}

const concreteProblem = (target: string) =>
  target.startsWith("problems/") && !PROBLEM_CONTRACT.includes(target);

Deno.test("layout: consensus/ and actors/ import no concrete problem kind", async () => {
  assert.deepEqual(await violations(["consensus", "actors"], concreteProblem), []);
});

Deno.test("layout: lp/ imports nothing of problems, consensus, runtimes, scenarios or the CLI", async () => {
  const outside = (t: string) => /^(problems|consensus|actors|scenarios|cli)\//.test(t);
  assert.deepEqual(await violations(["lp"], outside), []);
});

Deno.test("layout: the import rule sees what it must (a concrete import is caught, the contract is not)", () => {
  const source = 'import { x } from "../problems/ies-dispatch/kind.ts";\n' +
    'import type { Problem } from "../problems/types.ts";\nconst m = await import("../problems/other/kind.ts");\n';
  const found = importsOf(source).map(({ line, spec }) => ({
    line,
    target: resolveFrom("actors/worker.ts", spec),
  }));
  assert.deepEqual(found, [
    { line: 1, target: "problems/ies-dispatch/kind.ts" },
    { line: 2, target: "problems/types.ts" },
    { line: 3, target: "problems/other/kind.ts" },
  ]);
  assert.deepEqual(found.filter((f) => concreteProblem(f.target)).map((f) => f.line), [1, 3]);
});
