/**
 * Every document the repository names is in the repository. A reader who follows a link in a page, or a
 * path in a code comment, a scenario's comment or the command line's help, must find the document:
 *
 * - in Markdown files, every relative link (`[text](target)`, `[label]: target`, `<a href="target">`)
 *   resolves, from the linking file's folder, to a file or folder inside the repository, and a `#anchor`
 *   into a Markdown file names one of its headings (GitHub's slugs) or `<a id>` anchors;
 * - in every text file, every path that ends in `.md` (`docs/model.md`, `../docs/case-format.md`, a bare
 *   `README.md`) names a file of the repository, from the root or from the naming file's folder; an absolute
 *   path never does.
 *
 * Web addresses are not checked (`https://…/README.md` is someone else's document), nor are links inside
 * code blocks and code spans of Markdown (examples, not links), nor generated folders (out/, poso-data/,
 * dist/). Needs `--allow-read`.
 */
import assert from "node:assert/strict";

/** The repository's root folder. */
const ROOT = new URL("../", import.meta.url);

/** Folders never scanned: version control, dependencies, and what runs and builds write. */
const SKIPPED_DIRS = new Set([".git", "node_modules", "out", "poso-data", "dist"]);

/** Extensions of the text files scanned for document paths (files without an extension are scanned too). */
const TEXT_EXTENSIONS = new Set(["md", "ts", "js", "yaml", "yml", "json", "html", "css", "sh", "txt"]);

/** Files not scanned: generated, and holding no prose (the lock file lists package hashes). */
const SKIPPED_FILES = new Set(["deno.lock"]);

/** Files larger than this, in bytes, are not scanned (data, not documents; the bundled case is ~100 kB). */
const MAX_SCANNED_BYTES = 4 * 1024 * 1024;

/** A document a file names, with where it names it (1-based line). */
export interface DocReference {
  /** Line of the naming file, 1-based. */
  line: number;
  /** The target as written (a path, possibly with a `#anchor`). */
  target: string;
}

/** `text` with every character but newlines replaced by spaces, so that offsets and line numbers stay. */
function blank(text: string): string {
  return text.replace(/[^\n]/g, " ");
}

/** Markdown with fenced code blocks, code spans and HTML comments blanked out (line numbers kept). */
export function withoutCode(markdown: string): string {
  return markdown
    .replace(/^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^\1\2[^\n]*$|(?![\s\S]))/gm, blank)
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/(`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])*?[^`]\1(?!`)/g, blank);
}

const lineAt = (text: string, index: number) => text.slice(0, index).split("\n").length;

/** Whether a link target is a web address or other URL (not a file of the repository). */
function isUrl(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
}

/**
 * The relative links of a Markdown document: inline links and images, reference definitions and HTML
 * `href`/`src` attributes, outside code; URLs (`https:`, `mailto:`, ...) are left out.
 */
export function markdownLinks(markdown: string): DocReference[] {
  const text = withoutCode(markdown);
  const out: DocReference[] = [];
  const add = (index: number, raw: string) => {
    const target = raw.trim().replace(/^<(.*)>$/, "$1");
    if (target !== "" && !isUrl(target)) out.push({ line: lineAt(text, index), target });
  };
  // [text](target "title"): the target is the first space-free run, or <...>.
  for (const m of text.matchAll(/\]\(\s*(<[^>\n]*>|[^\s()]+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g)) {
    add(m.index!, m[1]);
  }
  // [label]: target (a footnote, [^label]: text, is not a link)
  for (const m of text.matchAll(/^[ ]{0,3}\[(?!\^)[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm)) add(m.index!, m[1]);
  for (const m of text.matchAll(/<(?:a|img)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']*)["']/gi)) {
    add(m.index!, m[1]);
  }
  return out.sort((a, b) => a.line - b.line);
}

/**
 * The `.md` paths a text names, anywhere in it (comments, strings, help text, prose), web addresses left out:
 * `docs/model.md`, `../docs/case-format.md`, `README.md`, and absolute paths.
 */
export function documentPaths(text: string): DocReference[] {
  const noUrls = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>()\]]*/gi, blank);
  const out: DocReference[] = [];
  const pattern = /(?<![\w./-])((?:\.{1,2}\/)*\/?(?:[\w-][\w.-]*\/)*[\w-][\w.-]*\.md)(?![\w-])/g;
  for (const m of noUrls.matchAll(pattern)) out.push({ line: lineAt(noUrls, m.index!), target: m[1] });
  return out;
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, each space a hyphen. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link's text stays
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a Markdown document: its headings' slugs (repeats numbered `-1`, `-2`, ...) and HTML ids. */
export function markdownAnchors(markdown: string): Set<string> {
  const text = markdown
    .replace(/^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^\1\2[^\n]*$|(?![\s\S]))/gm, blank);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/^[ ]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const slug = headingSlug(m[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const m of text.matchAll(/<a\b[^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) anchors.add(m[1]);
  return anchors;
}

/** `path` (relative to the folder `dir`, both from the root) as a path from the root, or null when outside it. */
export function resolvePath(dir: string, path: string): string | null {
  if (path.startsWith("/")) return null;
  const parts = dir === "" ? [] : dir.split("/");
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(p);
  }
  return parts.join("/");
}

/** What a check sees of the repository: its text files, and whether a path is a file or folder of it. */
export interface Repository {
  /** Every scanned text file: path from the root → its text. */
  files: Map<string, string>;
  /** Whether this path from the root ("" for the root) is a file or a folder of the repository. */
  exists(path: string): boolean;
}

/** A link target with its %-escapes decoded (left as written when they are malformed). */
function decoded(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}

const folderOf = (file: string) => file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";

/** Every broken reference of the repository, as `file:line: what is wrong`. */
export function brokenReferences(repo: Repository): string[] {
  const problems: string[] = [];
  const anchorsCache = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    let a = anchorsCache.get(file);
    if (!a) anchorsCache.set(file, a = markdownAnchors(repo.files.get(file) ?? ""));
    return a;
  };
  for (const [file, text] of repo.files) {
    const dir = folderOf(file);
    /** Paths already reported as broken links, by line, so that the same path is not reported twice. */
    const reported = new Set<string>();
    if (file.endsWith(".md")) {
      for (const { line, target } of markdownLinks(text)) {
        const hash = target.indexOf("#");
        const path = decoded(hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, "");
        const anchor = hash < 0 ? "" : decoded(target.slice(hash + 1));
        const resolved = path === "" ? file : resolvePath(dir, path);
        if (resolved === null || !repo.exists(resolved)) reported.add(`${line} ${path}`);
        if (resolved === null) {
          problems.push(`${file}:${line}: links ${target}, which is outside the repository`);
        } else if (!repo.exists(resolved)) {
          problems.push(`${file}:${line}: links ${target}, which is not in the repository`);
        } else if (anchor !== "" && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) {
          problems.push(
            `${file}:${line}: links ${target}, but ${resolved} has no heading or anchor #${anchor}`,
          );
        }
      }
    }
    for (const { line, target } of documentPaths(text)) {
      if (reported.has(`${line} ${target}`)) continue;
      const candidates = [resolvePath("", target), resolvePath(dir, target)];
      if (!candidates.some((p) => p !== null && repo.exists(p))) {
        problems.push(`${file}:${line}: names ${target}, which is not in the repository`);
      }
    }
  }
  return problems;
}

/** Reads the repository under ROOT: its scanned text files, and a test of existence. */
async function readRepository(): Promise<Repository> {
  const files = new Map<string, string>();
  const paths = new Set<string>([""]);
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir === "" ? "./" : `${dir}/`, ROOT))) {
      const path = dir === "" ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory) {
        if (SKIPPED_DIRS.has(e.name)) continue;
        paths.add(path);
        await walk(path);
      } else if (e.isFile) {
        paths.add(path);
        const ext = e.name.includes(".") ? e.name.slice(e.name.lastIndexOf(".") + 1) : "";
        if (SKIPPED_FILES.has(e.name) || (ext !== "" && !TEXT_EXTENSIONS.has(ext))) continue;
        const bytes = await Deno.readFile(new URL(path, ROOT));
        if (bytes.length > MAX_SCANNED_BYTES || bytes.includes(0)) continue;
        files.set(path, new TextDecoder().decode(bytes));
      }
    }
  };
  await walk("");
  return { files, exists: (p) => paths.has(p) };
}

Deno.test("docs: every document a file of the repository links or names is in the repository", async () => {
  const repo = await readRepository();
  for (
    const f of ["README.md", "scenarios/README.md", "mod.ts", "cli/program.ts", "scenarios/scenario1.yaml"]
  ) {
    assert.ok(repo.files.has(f), `the scan reads ${f}`);
  }
  const problems = brokenReferences(repo);
  assert.deepEqual(problems, [], `${problems.length} broken references:\n${problems.join("\n")}`);
});

// ---------------------------------------------------------------------------
// The checker itself: what it must catch, and what it must leave alone.

/** Document names that no repository holds, built at run time so that this file does not name them. */
const MISSING = ["no", "such", "notes"].join("-") + ".md";
const MISSING_UPPER = ["NO", "SUCH", "NOTES"].join("_") + ".md";

function virtualRepo(files: Record<string, string>, extra: string[] = []): Repository {
  const paths = new Set<string>(["", ...extra]);
  for (const f of Object.keys(files)) {
    const parts = f.split("/");
    for (let k = 1; k <= parts.length; k++) paths.add(parts.slice(0, k).join("/"));
  }
  return { files: new Map(Object.entries(files)), exists: (p) => paths.has(p) };
}

Deno.test("docs check: a missing document is caught in links, comments, help text and YAML comments", () => {
  const repo = virtualRepo({
    "README.md": `# Title\n\nSee [the model](docs/${MISSING}) and [ok](docs/model.md).\n`,
    "docs/model.md": `# Model\n\nBack to the [README](../README.md); notes in [x](${MISSING}).\n`,
    "lp/x.ts": `/**\n * The checker (${MISSING_UPPER}).\n */\n`,
    "cli/program.ts": `.description("Build the LP (docs/${MISSING}), solve it")\n`,
    "scenarios/s.yaml": `# as ../notes/${MISSING} says\nname: x\n`,
  });
  assert.deepEqual(brokenReferences(repo), [
    `README.md:3: links docs/${MISSING}, which is not in the repository`,
    `docs/model.md:3: links ${MISSING}, which is not in the repository`,
    `lp/x.ts:2: names ${MISSING_UPPER}, which is not in the repository`,
    `cli/program.ts:1: names docs/${MISSING}, which is not in the repository`,
    `scenarios/s.yaml:1: names ../notes/${MISSING}, which is not in the repository`,
  ]);
});

Deno.test("docs check: links out of the repository, to absolute paths and to missing anchors are caught", () => {
  const repo = virtualRepo({
    "README.md": "# Running scenarios\n\n## Outputs: trace, JSON, ledger, report\n\n" +
      "[a](#running-scenarios) [b](#outputs-trace-json-ledger-report) [c](#no-such-section)\n" +
      "[d](docs/model.md#the-certificate) [e](docs/model.md#3-a-rigorous-lower-bound-from-y) [f](docs/model.md#gap)\n" +
      "[g](../outside/x.txt) and the notes at /home/me/notes/" + MISSING + "\n",
    "docs/model.md": "# Model\n\n## The certificate\n\n### 3. A rigorous lower bound from y\n",
  });
  assert.deepEqual(brokenReferences(repo), [
    "README.md:5: links #no-such-section, but README.md has no heading or anchor #no-such-section",
    "README.md:6: links docs/model.md#gap, but docs/model.md has no heading or anchor #gap",
    "README.md:7: links ../outside/x.txt, which is outside the repository",
    `README.md:7: names /home/me/notes/${MISSING}, which is not in the repository`,
  ]);
});

Deno.test("docs check: web addresses, code examples, globs and template names are not documents", () => {
  const repo = virtualRepo({
    "README.md": [
      "# Title",
      `The published [README](https://github.com/o/r/blob/main/${MISSING}), <https://x.org/${MISSING}>.`,
      "Mail [us](mailto:a@b.org). Every `*.md` file; the example `[x](y.txt)` is code.",
      "```md",
      `[not a link](docs/${MISSING.replace(".md", ".txt")})`,
      "```",
      "A folder: [docs](docs/), the schema: [schema](problems/x/case.schema.json).",
    ].join("\n"),
    "docs/model.md": "# Model\n",
    "problems/x/case.schema.json": "{}",
    "lp/y.ts": "const file = `${name}.md`; const other = 'x.mdx'; // see https://h.org/a/" + MISSING + "\n",
  });
  assert.deepEqual(brokenReferences(repo), []);
});

Deno.test("docs check: heading slugs follow GitHub's (punctuation dropped, code and links as text, repeats numbered)", () => {
  assert.equal(headingSlug("Outputs: trace, JSON, ledger, report"), "outputs-trace-json-ledger-report");
  assert.equal(headingSlug("Performance (2-core machine)"), "performance-2-core-machine");
  assert.equal(headingSlug("3. The day's problem"), "3-the-days-problem");
  assert.equal(headingSlug("Behaviours (`leader_evil:`)"), "behaviours-leader_evil");
  assert.equal(headingSlug("`scene.params`"), "sceneparams");
  assert.equal(
    headingSlug("The [model](docs/model.md) and its certificate"),
    "the-model-and-its-certificate",
  );
  const anchors = markdownAnchors(
    '# A\n\n## Notes\n\n```\n# not a heading\n```\n\n## Notes\n\n<a id="here"></a>\n',
  );
  assert.deepEqual([...anchors].sort(), ["a", "here", "notes", "notes-1"]);
});
