/**
 * actors/files.ts: capped reads stop at the cap whatever the file, and the
 * one participant-name rule is what the loader, the key files and the ledger
 * files all apply, so no accepted name ever names a path outside its directory.
 *
 * Files go to out/test-tmp.
 *
 * @module
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import fc from "fast-check";
import { InputFileError, isSafeName, nodeNameProblem, readCapped, readCappedText } from "../actors/files.ts";
import { KeyError, publicKeyFile } from "../actors/keys.ts";
import { ledgerFileName } from "../actors/ledger_file.ts";
import { parseScenario, ScenarioError } from "../scenarios/loader.ts";
import { tmpDir } from "./helpers.ts";

Deno.test("readCapped: a file of exactly the cap is read, one byte more is refused naming the cap", async () => {
  const dir = await tmpDir("files-cap");
  try {
    const cap = 100_000; // more than one read chunk (64 KiB)
    await Deno.writeFile(`${dir}/exact`, new Uint8Array(cap).fill(7));
    const bytes = await readCapped(`${dir}/exact`, cap, "test files");
    assert.equal(bytes.length, cap);
    assert.ok(bytes.every((b) => b === 7));
    await Deno.writeFile(`${dir}/over`, new Uint8Array(cap + 1));
    await assert.rejects(readCapped(`${dir}/over`, cap, "test files"), (e: unknown) => {
      assert.ok(e instanceof InputFileError);
      assert.equal(e.kind, "too large");
      assert.equal(e.message, `${dir}/over: larger than 97.7 KiB, the most test files may hold`);
      return true;
    });
    await assert.rejects(readCapped(`${dir}/missing`, cap, "test files"), (e: unknown) => {
      assert.ok(e instanceof InputFileError);
      assert.equal(e.kind, "missing");
      assert.equal(e.message, `${dir}/missing: no such file`);
      return true;
    });
    await assert.rejects(readCapped(dir, cap, "test files"), /is a directory, not a file/);
    await Deno.writeFile(`${dir}/latin1`, Uint8Array.of(0x5a, 0x6f, 0xeb));
    await assert.rejects(readCappedText(`${dir}/latin1`, cap, "test files"), /latin1: is not UTF-8 text/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCapped: /dev/zero is refused after cap + 1 bytes", async () => {
  const t0 = performance.now();
  await assert.rejects(readCapped("/dev/zero", 1024 * 1024, "test files"), /larger than 1 MiB/);
  assert.ok(performance.now() - t0 < 5000);
});

/** Characters that make names interesting: the safe alphabet, path syntax, case, space, control, non-ASCII. */
const NAME_CHARS = fc.constantFrom(..."aZ09_-./\\ :\u0000\n\u00e9\u4e2d<>$", "..", "NUL", "con");
const NAMES = fc.array(NAME_CHARS, { maxLength: 12 }).map((parts) => parts.join(""));

Deno.test("property: a name either fails the one rule everywhere, or names a file inside its directory everywhere", () => {
  const dir = "out/test-tmp/keys";
  fc.assert(
    fc.property(NAMES, (name) => {
      const safe = isSafeName(name);
      assert.equal(safe, nodeNameProblem(name) === undefined);
      // The ledger file and the key files follow the rule exactly.
      if (safe) {
        for (const file of [ledgerFileName(dir, name), publicKeyFile(dir, name)]) {
          assert.equal(resolve(file, ".."), resolve(dir), `${file} is not directly in ${dir}`);
        }
      } else {
        assert.throws(() => ledgerFileName(dir, name), RangeError);
        assert.throws(() => publicKeyFile(dir, name), KeyError);
      }
      // The loader accepts exactly the names the rule accepts.
      const text = "nodes:\n" +
        `  1: { name: ${JSON.stringify(name)}, is_delegate: true, is_normal: true }\n` +
        "  2: { name: Q2, is_delegate: true }\n  3: { name: Q3, is_delegate: true }\n";
      let loaded = true;
      try {
        parseScenario(text, "names.yaml");
      } catch (e) {
        assert.ok(e instanceof ScenarioError);
        assert.equal(e.keyPath, "nodes.1.name", e.message);
        loaded = false;
      }
      assert.equal(loaded, safe, `name ${JSON.stringify(name)}`);
    }),
    { numRuns: 500 },
  );
});
