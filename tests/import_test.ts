/**
 * PoSo-TS as a library: another Deno project imports mod.ts with the one step
 * the README documents (an `imports` entry in its deno.json naming this
 * repository's mod.ts) and runs a solve and a certificate check. The project
 * lives in a temporary folder and runs in its own `deno` process, with only
 * the permission the README states (--allow-read).
 */
import assert from "node:assert/strict";
import { tmpDir } from "./helpers.ts";

Deno.test("another Deno project imports mod.ts in one step and certifies a dispatch", async () => {
  const dir = await tmpDir("import");
  const modUrl = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports: { "poso-ts": modUrl } }, null, 2));
  await Deno.writeTextFile(
    `${dir}/main.ts`,
    [
      'import { problemKind } from "poso-ts";',
      'const kind = problemKind("ies-dispatch");',
      "const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });",
      'const { certificate, costUsd } = await problem.solve("optimal");',
      "console.log(JSON.stringify({ verdict: problem.verifier.verify(certificate).verdict, cost: costUsd }));",
    ].join("\n") + "\n",
  );
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-lock", "--allow-read", "main.ts"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  assert.equal(result.verdict, "accepted");
  assert.equal(Math.round(result.cost), 744);
});
