/**
 * The live page (`poso run --live`, cli/live.ts): a real headless Chromium, driven over the Chrome
 * DevTools Protocol, watches scenario 1 run on Workers. The page must show round 1's blacklist of C
 * before round 2 starts (in the order the page added them, recorded page-side by a
 * MutationObserver), then the committed block with its certified cost and every normal node's
 * ledger at height 1, with no script error; a second page opened after the run catches up on all of
 * it from the server's log. Its charts (the cost per day; a price iteration's trajectory) are ECharts
 * charts with the right series, and their PNG and CSV buttons hand over the chart's image and data. Screenshots go to out/test-tmp/live/. Without a Chromium the browser
 * test is ignored and its name says why (tests/chromium.ts). The server's own rules (GET only, its
 * own Host only, a taken port, a missing permission) are tested without a browser.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type CliIo, runCli } from "../cli/program.ts";
import { LiveError, netLiveEvents, startLiveServer } from "../cli/live.ts";
import type { NodeEvent } from "../net/events.ts";
import { problemKind } from "../problems/registry.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { findChromium } from "./chromium.ts";
import { eventStreamUntil } from "./helpers.ts";

const OUT_DIR = new URL("../out/test-tmp/live/", import.meta.url);
const PROFILE_DIR = new URL("chromium-profile/", OUT_DIR);
const DATA_DIR = new URL("data/", OUT_DIR);
const path = (u: URL) => decodeURIComponent(u.pathname);

/** Viewport of the screenshots, px: the narrowest width the page is meant to be read at, and tall. */
const WINDOW_WIDTH_PX = 700;
const WINDOW_HEIGHT_PX = 1600;
/**
 * Round timeout of the watched run, s, waited out on the wall clock (--full-rounds): the page has
 * time to connect while round 1 runs. Not asserted on: only the order of what the page shows is.
 */
const ROUND_TIMEOUT_SEC = 2;
/**
 * Safety net only, never what the test asserts on: how long a wait for something the page must
 * show may last before the test fails (a hung browser or run), ms.
 */
const WAIT_LIMIT_MS = 15_000;
/** Scenario 1's block: its cost rounded to whole $ per day (the article's Scenario I, README). */
const SCENARIO1_COST = "$744";
/** Smallest plausible PNG of the page (a blank page is a few kB), bytes. */
const MIN_SCREENSHOT_BYTES = 20_000;

// ---------------------------------------------------------------------------------------------
// The server's rules, without a browser.

Deno.test("live server: GET only, its own Host only, a taken port and a missing permission are clear errors", async () => {
  const live = await startLiveServer({ port: 0 });
  try {
    const post = await fetch(live.url, { method: "POST", body: "x" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET");
    const page = await fetch(live.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    const html = await page.text();
    assert.match(html, /<script src="\/live.js"/);
    // The page fetches nothing from elsewhere: every script and stylesheet is one of this server's paths,
    // the chart library too: the npm package's browser bundle, byte for byte.
    const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(refs.sort(), ["/echarts.min.js", "/live.css", "/live.js"]);
    const bundle = await fetch(new URL("/echarts.min.js", live.url));
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get("content-type") ?? "", /^text\/javascript/);
    const npmBundle = await Deno.readTextFile(new URL(import.meta.resolve("echarts/dist/echarts.min.js")));
    assert.ok((await bundle.text()) === npmBundle, "/echarts.min.js is not the npm package's bundle");
    const missing = await fetch(new URL("/nothing", live.url));
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    // A rebound DNS name reaches the port with another Host: refused (fetch keeps its own Host header).
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: live.port });
    await conn.write(
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"),
    );
    const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(answer, /^HTTP\/1.1 403/);

    await assert.rejects(
      startLiveServer({ port: live.port }),
      (e) => e instanceof LiveError && e.message.includes(`127.0.0.1:${live.port} is already in use`),
    );
  } finally {
    await live.close();
  }
  // The tests may listen on 127.0.0.1 only: another address needs a flag the error names.
  await assert.rejects(
    startLiveServer({ port: 0, hostname: "127.0.0.2" }),
    (e) => e instanceof LiveError && e.message.includes("--allow-net=127.0.0.2"),
  );
});

Deno.test("live server: a page opened late is given the log first, then what happens next", async () => {
  const live = await startLiveServer({ port: 0 });
  try {
    live.publish({ kind: "day", height: 1 });
    live.publish({ kind: "round", height: 1, round: 1, leader: "C" });
    const res = await fetch(new URL("/events", live.url));
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const until = async (what: string) => {
      while (!text.includes(what)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${what}: ${text}`);
        text += value;
      }
    };
    await until("event: caughtup");
    assert.ok(text.indexOf(`"kind":"day"`) < text.indexOf(`"kind":"round"`));
    assert.ok(text.indexOf(`"kind":"round"`) < text.indexOf("event: caughtup"));
    live.publish({ kind: "decision", height: 1, round: 1, who: "D", decision: "blacklist", leader: "C" });
    await until(`"decision":"blacklist"`);
    assert.ok(text.indexOf("event: caughtup") < text.indexOf(`"decision":"blacklist"`));
    await reader.cancel();
  } finally {
    await live.close();
  }
});

Deno.test("live server: the log is bounded; a late page still gets the run's start, its days and outcomes, each node's last block", async () => {
  const KEPT = 5;
  const live = await startLiveServer({ port: 0, maxLogEvents: KEPT });
  try {
    live.publish({
      kind: "run",
      scenario: "s",
      runtime: "workers",
      problem: "p",
      costSymbol: "$",
      costUnit: "USD",
      days: 2,
      participants: [],
    });
    for (let h = 1; h <= 2; h++) {
      live.publish({ kind: "day", height: h });
      for (let i = 0; i < 3 * KEPT; i++) {
        live.publish({ kind: "note", height: h, round: 1, text: `n${h}.${i}` });
      }
      live.publish({ kind: "block", node: "A", height: h, bytes: 1 });
      live.publish({ kind: "outcome", height: h, round: 1, leader: "D", cost: 744 });
    }
    const text = await eventStreamUntil(await fetch(new URL("/events", live.url)), /event: caughtup/);
    const kinds = [...text.matchAll(/"kind":"(\w+)"/g)].map((m) => m[1]);
    assert.deepEqual(kinds.slice(0, 2), ["note", "run"], "first a note on what was let go, then the run");
    assert.match(text, new RegExp(`the ${6 * KEPT - KEPT} oldest events are no longer kept`));
    assert.equal(kinds.filter((k) => k === "note").length, 1 + KEPT);
    assert.deepEqual(kinds.filter((k) => k === "day" || k === "outcome"), [
      "day",
      "outcome",
      "day",
      "outcome",
    ]);
    assert.deepEqual([...text.matchAll(/"kind":"block","node":"A","height":(\d)/g)].map((m) => m[1]), ["2"]);
    assert.ok(!text.includes(`"n2.${3 * KEPT - KEPT - 1}"`) && text.includes(`"n2.${3 * KEPT - 1}"`));
  } finally {
    await live.close();
  }
});

Deno.test("poso run: --port needs --live; --live needs a Worker run", async () => {
  const err: string[] = [];
  const io: CliIo = { out: () => {}, err: (t) => err.push(t), writeFile: () => Promise.resolve() };
  assert.equal(await runCli(["run", "scenarios/scenario1.yaml", "--port", "9000"], io), 2);
  assert.match(err.join("\n"), /--port is the live page's port: add --live/);
  assert.equal(await runCli(["run", "scenarios/scenario1.yaml", "--simulate", "--live"], io), 2);
  assert.match(err.join("\n"), /--live shows a Worker run as it goes on/);
  assert.equal(await runCli(["run", "scenarios/scenario1.yaml", "--live", "--port", "65536"], io), 2);
  // The published iteration: a market's trajectory (also --simulate); a SimpleAdd scene has no prices.
  assert.equal(
    await runCli(["run", "tests/fixtures/published/simple-add.yaml", "--live", "--port", "0"], io),
    2,
  );
  assert.match(err.join("\n"), /--live draws a market's price trajectory; a SimpleAdd scene has none/);
});

Deno.test("net up's live events: each day and round once, the round's leader from the blacklists, the block once a majority accepted it", async () => {
  const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
  const kind = problemKind(scenario.problem);
  const { start, of } = netLiveEvents(scenario, kind.name, kind.cost, 1);
  assert.equal(start.kind, "run");
  const ids = Object.fromEntries(scenario.participants.map((p) => [p.name, p.id]));
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.name);
  const place = (name: string, round: number) => ({ node: ids[name], height: 1, round, at: 0 });
  const effects = (name: string, round: number, delegate: unknown[], normal: unknown[] = []): NodeEvent => ({
    ...place(name, round),
    type: "effects",
    delegate: delegate as never,
    normal: normal as never,
    solveMs: 0,
    checkMs: 0,
    signMs: 0,
  });
  const events: NodeEvent[] = [
    // Every node reports the day and each round: the page gets each once.
    ...scenario.participants.map((p): NodeEvent => ({
      ...place(p.name, 0),
      type: "day",
      day: { height: 1, loadFactor: 1, blacklistAtStart: [] },
    })),
    ...scenario.participants.map((p): NodeEvent => ({
      ...place(p.name, 1),
      type: "tick",
      tick: "roundStart",
    })),
    effects("C", 1, [{ kind: "send", to: ids.F, round: 1, digest: "x904", cost: 903.6 }]),
    effects("F", 1, [{
      kind: "received",
      round: 1,
      path: [ids.C],
      digest: "x904",
      proposalDigest: "p904",
      verdict: "suboptimal",
      reason: "suboptimal (gap $160.12)",
    }]),
    // Every honest delegate blacklists C: round 2's leader is D.
    ...delegates.filter((d) => d !== "C").map((d) =>
      effects(d, 1, [{ kind: "blacklist", round: 1, leader: ids.C, reason: "no valid proposal" }])
    ),
    ...scenario.participants.map((p): NodeEvent => ({
      ...place(p.name, 2),
      type: "tick",
      tick: "roundStart",
    })),
    effects("D", 2, [{ kind: "send", to: ids.E, round: 2, digest: "x744", cost: 743.9 }]),
    // Four of seven normal nodes accept D's block: one outcome, at the fourth.
    ...["A", "B", "C", "D", "E"].map((n) =>
      effects(n, 2, [], [{ kind: "accept", round: 2, leader: ids.D, digest: "x744", proposalDigest: "p744" }])
    ),
  ];
  const live = events.flatMap(of);
  assert.deepEqual(live.filter((e) => e.kind === "day").length, 1);
  assert.deepEqual(
    live.filter((e) => e.kind === "round").map((e) => e.kind === "round" && [e.round, e.leader]),
    [[1, "C"], [2, "D"]],
  );
  assert.deepEqual(live.find((e) => e.kind === "message"), {
    kind: "message",
    height: 1,
    round: 1,
    to: "F",
    path: ["C"],
    cost: 904,
    status: "rejected",
    reason: "suboptimal (gap $160.12)",
  });
  const outcomes = live.filter((e) => e.kind === "outcome");
  assert.deepEqual(outcomes, [{ kind: "outcome", height: 1, round: 2, leader: "D", cost: 744 }]);
  const fourth = live.findIndex((e) => e.kind === "outcome");
  assert.equal(live.slice(0, fourth).filter((e) => e.kind === "accept").length, 4);
});

// ---------------------------------------------------------------------------------------------
// A minimal Chrome DevTools Protocol client over Deno's WebSocket.

/** One DevTools connection: commands (optionally to a page's session) and the events it sends. */
class Cdp {
  private next = 0;
  private readonly waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  /** Every event received: method, params, session. */
  readonly events: { method: string; params: Record<string, unknown>; sessionId?: string }[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      if (msg.id !== undefined) {
        const w = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        if (msg.error) w?.fail(new Error(`${msg.error.message} (${msg.error.code})`));
        else w?.ok(msg.result);
      } else this.events.push(msg);
    };
  }

  static connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = ++this.next;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((ok, fail) => this.waiting.set(id, { ok: ok as (v: unknown) => void, fail }));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.onclose = () => resolve();
      this.ws.close();
    });
  }
}

/** A page of the browser, attached, with its script errors and console errors collected. */
async function openPage(cdp: Cdp): Promise<string> {
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  await cdp.send("Runtime.enable", {}, sessionId);
  await cdp.send("Page.enable", {}, sessionId);
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: WINDOW_WIDTH_PX,
    height: WINDOW_HEIGHT_PX,
    deviceScaleFactor: 1,
    mobile: false,
  }, sessionId);
  return sessionId;
}

/** Evaluates `expression` in the page (awaiting a promise) and returns its JSON value. */
async function evaluate<T>(cdp: Cdp, sessionId: string, expression: string): Promise<T> {
  const r = await cdp.send<
    { result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }
  >(
    "Runtime.evaluate",
    { expression, awaitPromise: true, returnByValue: true },
    sessionId,
  );
  if (r.exceptionDetails) {
    const d = r.exceptionDetails;
    throw new Error(`in the page: ${d.exception?.description ?? d.text}`);
  }
  return r.result.value as T;
}

/**
 * Resolves in the page once `poso_live.shown` holds `mark` (a `data-live` mark of something the
 * page added), or rejects after {@link WAIT_LIMIT_MS}.
 */
function waitShown(cdp: Cdp, sessionId: string, mark: string): Promise<boolean> {
  return evaluate<boolean>(
    cdp,
    sessionId,
    `new Promise((resolve, reject) => {
      const t0 = Date.now();
      const check = () => {
        if (window.poso_live && window.poso_live.shown.includes(${
      JSON.stringify(mark)
    })) return resolve(true);
        if (Date.now() - t0 > ${WAIT_LIMIT_MS}) {
          return reject(new Error("never shown: " + ${JSON.stringify(mark)} + "; the page shows " +
            JSON.stringify(window.poso_live ? poso_live.shown : "no script") + ", errors " +
            JSON.stringify(window.poso_live ? poso_live.errors : []) + ": " + document.body.innerText.slice(0, 500)));
        }
        setTimeout(check, 20);
      };
      check();
    })`,
  );
}

async function screenshot(cdp: Cdp, sessionId: string, file: URL): Promise<number> {
  const { data } = await cdp.send<{ data: string }>("Page.captureScreenshot", { format: "png" }, sessionId);
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  await Deno.writeFile(file, bytes);
  return bytes.length;
}

/** What the test reads back from a page. */
interface PageState {
  shown: string[];
  live: number;
  errors: string[];
  ledgers: Record<string, string>;
  outcome: string;
  status: string;
}

const PAGE_STATE = `({
  shown: poso_live.shown,
  live: poso_live.events.filter((e) => e.live).length,
  errors: poso_live.errors,
  ledgers: Object.fromEntries([...document.querySelectorAll("#participants tbody tr")]
    .map((tr) => [tr.cells[0].textContent, tr.querySelector("td.ledger").textContent])),
  outcome: document.querySelector(".outcome")?.textContent ?? "",
  status: document.getElementById("status").textContent,
})`;

/** What the test reads back from one of the page's charts, and from its two export buttons. */
interface ChartState {
  /** Whether the chart's box holds an ECharts instance. */
  instance: boolean;
  /** Its series: name, type, number of points, last point. */
  series: { name: string; type: string; n: number; last: number | [number, number] }[];
  /** The y axis's name (with its unit). */
  yName: string;
  /** The file names the PNG and CSV buttons download, in that order. */
  downloads: string[];
  /** The PNG button's image: its data URL's start and length. */
  png: string;
  pngChars: number;
  /** The text the CSV button downloads. */
  csv: string;
  errors: string[];
}

/**
 * The chart in the box `boxId` (ECharts' own instance of that element), and what its PNG and CSV
 * buttons hand to the browser: the downloads are caught (the anchor's click and the Blob's URL),
 * not saved.
 */
const chartState = (id: string, boxId: string) =>
  `(async () => {
  const chart = echarts.getInstanceByDom(document.getElementById(${JSON.stringify(boxId)}));
  if (!chart) return { instance: false, series: [], errors: poso_live.errors };
  const o = chart.getOption();
  // Its tooltip, as a pointer over the first point would show it (drawn under the page's policy).
  chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 });
  await new Promise((r) => setTimeout(r, 0));
  const got = [], blobs = new Map();
  const create = URL.createObjectURL, click = HTMLAnchorElement.prototype.click;
  URL.createObjectURL = (b) => { const u = create.call(URL, b); blobs.set(u, b); return u; };
  HTMLAnchorElement.prototype.click = function () { got.push({ name: this.download, href: this.href }); };
  try {
    for (const kind of ["png", "csv"]) {
      document.querySelector('button[data-export="' + kind + '"][data-chart=${JSON.stringify(id)}]').click();
    }
  } finally {
    URL.createObjectURL = create;
    HTMLAnchorElement.prototype.click = click;
  }
  const png = got.find((g) => g.name.endsWith(".png")), csv = got.find((g) => g.name.endsWith(".csv"));
  return {
    instance: true,
    series: o.series.map((s) => ({ name: s.name, type: s.type, n: s.data.length, last: s.data[s.data.length - 1] })),
    yName: o.yAxis[0].name,
    downloads: got.map((g) => g.name),
    png: png ? png.href.slice(0, 22) : "",
    pngChars: png ? png.href.length : 0,
    csv: csv && blobs.has(csv.href) ? await blobs.get(csv.href).text() : "",
    errors: poso_live.errors,
  };
})()`;

/** Smallest plausible PNG of a chart, as a data URL (a blank 2x canvas is a few kB), characters. */
const MIN_CHART_PNG_CHARS = 10_000;

/** Round 1's blacklist of C comes before round 2 in what the page showed; the block at the end. */
function assertStory(s: PageState, which: string): void {
  const blacklistC = s.shown.findIndex((m) => /^blacklist:1:1:[A-Z]:C$/.test(m));
  const round2 = s.shown.indexOf("round:1:2");
  assert.ok(blacklistC >= 0, `${which}: no blacklist of C in round 1 shown: ${s.shown.join(" ")}`);
  assert.ok(round2 >= 0, `${which}: round 2 never shown: ${s.shown.join(" ")}`);
  assert.ok(blacklistC < round2, `${which}: round 2 was shown before C's blacklist: ${s.shown.join(" ")}`);
  const outcome = s.shown.indexOf("outcome:1");
  assert.ok(outcome > round2, `${which}: the block is not shown after round 2: ${s.shown.join(" ")}`);
  assert.match(
    s.outcome,
    new RegExp(`Block 1 committed: round 2, leader D, certified cost \\${SCENARIO1_COST}`),
  );
  // Every participant of scenario 1 is a normal node: each ledger holds block 1.
  assert.deepEqual(
    Object.values(s.ledgers),
    ["1", "1", "1", "1", "1", "1", "1"],
    `${which}: ledgers ${JSON.stringify(s.ledgers)}`,
  );
  assert.deepEqual(s.errors, [], `${which}: script errors`);
}

const browser = await findChromium();
const BROWSER_TEST = "live page in headless Chromium during a scenario 1 run on Workers: blacklist of C " +
  "before round 2, the block at the end, a late page catches up, no script error";

Deno.test({
  name: browser.command === undefined ? `${BROWSER_TEST}: ignored, ${browser.why}` : BROWSER_TEST,
  ignore: browser.command === undefined,
}, async () => {
  await Deno.remove(OUT_DIR, { recursive: true }).catch(() => {});
  await Deno.mkdir(OUT_DIR, { recursive: true });
  const chrome = new Deno.Command(browser.command!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      "--no-first-run",
      "--disable-extensions",
      "--remote-debugging-port=0",
      `--user-data-dir=${path(PROFILE_DIR)}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderrReader = chrome.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let chromeErr = "";
  const wsUrl = (async () => {
    while (true) {
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(chromeErr);
      if (m) return m[1];
      const { value, done } = await stderrReader.read();
      if (done) throw new Error(`Chromium ended without a DevTools address:\n${chromeErr}`);
      chromeErr += value;
    }
  })();

  // The run, in this process: its stderr tells the page's address; Ctrl-C is the test's to press.
  let pageUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (pageUrl = resolve));
  let ctrlC: (() => void) | undefined;
  const out: string[] = [], err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => {
      err.push(t);
      const m = /^live page: (http:\S+)/.exec(t);
      if (m) pageUrl(m[1]);
    },
    writeFile: (p, t) => Deno.writeTextFile(p, t),
    onInterrupt: (handler) => {
      ctrlC = handler;
      return () => (ctrlC = undefined);
    },
  };
  const status = runCli([
    "run",
    "scenarios/scenario1.yaml",
    "--data",
    path(DATA_DIR),
    "--live",
    "--port",
    "0",
    "--full-rounds",
    "--timeout",
    String(ROUND_TIMEOUT_SEC),
  ], io);
  // A run that fails before it prints the address ends the wait for it.
  const address = await Promise.race([
    url,
    status.then((code) =>
      Promise.reject(new Error(`run ended (${code}) before the page: ${err.join("\n")}`))
    ),
  ]);

  const cdp = await Cdp.connect(await wsUrl);
  let ctrlCIteration: (() => void) | undefined;
  try {
    const watching = await openPage(cdp);
    await cdp.send("Page.navigate", { url: address }, watching);

    // Round 1: C leads and sends nothing valid; the page shows its blacklist. Screenshot while it goes on.
    await waitShown(cdp, watching, "round:1:2");
    const midRun = await screenshot(cdp, watching, new URL("live-round2.png", OUT_DIR));
    assert.ok(midRun >= MIN_SCREENSHOT_BYTES, `screenshot of ${midRun} bytes`);
    await waitShown(cdp, watching, "outcome:1");
    // The run is over once the page shows it; its server stays up until Ctrl-C.
    await waitShown(cdp, watching, "end");
    const seen = await evaluate<PageState>(cdp, watching, PAGE_STATE);
    assertStory(seen, "the page watching the run");
    assert.ok(seen.live > 0, "no event reached the page live (all came from the catch-up)");
    assert.equal(seen.status, "run over");
    // The cost chart is an ECharts bar chart of the one day; its CSV button gives the same data.
    const cost = await evaluate<ChartState>(cdp, watching, chartState("cost", "cost-box"));
    assert.ok(cost.instance, "the cost chart is not an ECharts chart");
    assert.deepEqual(cost.series.map((s) => [s.name, s.type, s.n]), [["certified cost", "bar", 1]]);
    assert.equal(`$${Math.round(cost.series[0].last as number)}`, SCENARIO1_COST);
    assert.match(cost.yName, /^certified cost \(USD\b.+\)$/, `the y axis names its unit: ${cost.yName}`);
    assert.deepEqual(cost.downloads, ["cost-per-day.png", "cost-per-day.csv"]);
    assert.equal(cost.png, "data:image/png;base64,");
    assert.ok(cost.pngChars >= MIN_CHART_PNG_CHARS, `PNG of ${cost.pngChars} characters`);
    assert.equal(cost.csv, `day (block height),${cost.yName}\r\n1,${cost.series[0].last}\r\n`);
    assert.deepEqual(cost.errors, []);
    const endShot = await screenshot(cdp, watching, new URL("live-end.png", OUT_DIR));
    assert.ok(endShot >= MIN_SCREENSHOT_BYTES, `screenshot of ${endShot} bytes`);

    // A page opened after the run catches up on everything from the server's log, in order.
    const late = await openPage(cdp);
    await cdp.send("Page.navigate", { url: address }, late);
    await waitShown(cdp, late, "end");
    const caughtUp = await evaluate<PageState>(cdp, late, PAGE_STATE);
    assertStory(caughtUp, "the page opened late");
    assert.deepEqual(caughtUp.shown, seen.shown, "the late page shows the same, in the same order");
    await screenshot(cdp, late, new URL("live-late.png", OUT_DIR));

    // The published price iteration in the simulator (one go: its page catches up from the log): the
    // trajectory chart has one line per price (electricity, three heat zones, gas), 79 rounds (0 to 78).
    const iterationErr: string[] = [];
    let iterationUrl = "";
    const iterationIo: CliIo = {
      out: () => {},
      err: (t) => {
        iterationErr.push(t);
        iterationUrl ||= /^live page: (http:\S+)/.exec(t)?.[1] ?? "";
      },
      writeFile: (p, t) => Deno.writeTextFile(p, t),
      onInterrupt: (handler) => {
        ctrlCIteration = handler;
        return () => (ctrlCIteration = undefined);
      },
    };
    const iterationStatus = runCli(
      ["run", "scenarios/market12-iteration.yaml", "--simulate", "--live", "--port", "0"],
      iterationIo,
    );
    while (!iterationErr.some((t) => t.includes("until Ctrl-C"))) {
      // Resolves once the run is over and its page waits for Ctrl-C (or the run failed: its status).
      const code = await Promise.race([iterationStatus, new Promise((r) => setTimeout(r, 20, "wait"))]);
      if (code !== "wait") throw new Error(`iteration run ended (${code}): ${iterationErr.join("\n")}`);
    }
    const prices = await openPage(cdp);
    await cdp.send("Page.navigate", { url: iterationUrl }, prices);
    await waitShown(cdp, prices, "iteration-end");
    const chart = await evaluate<{ rounds: string; finals: string[] }>(
      cdp,
      prices,
      `({
        rounds: document.getElementById("trajectory-box").getAttribute("data-rounds"),
        finals: [...document.querySelectorAll("#iteration-prices tbody td.num")].map((td) => td.textContent),
      })`,
    );
    assert.equal(chart.rounds, "79");
    assert.equal(chart.finals.length, 5);
    // An ECharts line per price, 79 points each; the CSV button gives every round, the last one the final prices.
    const trajectory = await evaluate<ChartState>(cdp, prices, chartState("trajectory", "trajectory-box"));
    assert.ok(trajectory.instance, "the trajectory chart is not an ECharts chart");
    const names = ["electricity", "heat zone 1", "heat zone 2", "heat zone 3", "gas"];
    assert.deepEqual(trajectory.series.map((s) => [s.name, s.type, s.n]), names.map((n) => [n, "line", 79]));
    assert.equal(trajectory.yName, "price (CNY/MWh)");
    assert.deepEqual(trajectory.downloads, ["price-trajectory.png", "price-trajectory.csv"]);
    assert.equal(trajectory.png, "data:image/png;base64,");
    assert.ok(trajectory.pngChars >= MIN_CHART_PNG_CHARS, `PNG of ${trajectory.pngChars} characters`);
    const rows = trajectory.csv.split("\r\n");
    assert.equal(rows.pop(), "", "the CSV ends with a line break");
    assert.equal(rows[0], ["round", ...names.map((n) => `${n} (CNY/MWh)`)].join(","));
    assert.deepEqual(
      rows.slice(1).map((r) => Number(r.split(",")[0])),
      Array.from({ length: 79 }, (_, i) => i),
    );
    const lastRow = rows[rows.length - 1].split(",").map(Number);
    trajectory.series.forEach((s, k) => {
      const [round, price] = s.last as [number, number];
      assert.equal(round, 78);
      // The CSV keeps 10 significant digits; the page's table shows 4 decimals.
      assert.ok(
        Math.abs(lastRow[k + 1] - price) <= 1e-9 * Math.abs(price),
        `${s.name}: ${lastRow[k + 1]} vs ${price}`,
      );
      assert.equal(
        price.toFixed(4),
        chart.finals[k],
        `${s.name}: the chart's last price is the final price shown`,
      );
    });
    assert.deepEqual(trajectory.errors, []);
    await screenshot(cdp, prices, new URL("live-iteration.png", OUT_DIR));
    ctrlCIteration?.();
    assert.equal(await iterationStatus, 0, iterationErr.join("\n"));

    const thrown = cdp.events.filter((e) =>
      e.method === "Runtime.exceptionThrown" ||
      (e.method === "Runtime.consoleAPICalled" && e.params.type === "error")
    );
    assert.deepEqual(thrown.map((e) => JSON.stringify(e.params).slice(0, 300)), [], "script errors");
  } catch (e) {
    console.error("run's stderr:", err.join("\n"), "\nstdout:", out.join("\n").slice(0, 2000));
    throw e;
  } finally {
    ctrlC?.();
    ctrlCIteration?.();
    await cdp.close();
    chrome.kill();
    await stderrReader.cancel().catch(() => {});
    await chrome.status;
  }
  assert.equal(await status, 0, err.join("\n"));
  assert.ok(out.join("\n").includes("<$744>"), "the trace printed as usual");
  await Deno.remove(PROFILE_DIR, { recursive: true }).catch(() => {});
  await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
});
