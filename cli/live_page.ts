/**
 * The live page of a run (cli/live.ts serves it): HTML, its stylesheet and its script, as strings.
 * The script reads the run's events from `/events` (Server-Sent Events; actors/live_event.ts) and
 * draws, as they come: the participants with their roles, blacklists and ledger heights; the current
 * day, round and phase; each round's messages (passed the check, rejected with the reason, taken
 * unchecked, dropped), decisions and notes; each day's block with its certified cost and gap (and a
 * market's prices); and a chart of the cost per day. For a run of the published price iteration: the
 * price trajectory growing round by round (one line per price, CNY/MWh against the round), the latest
 * and final prices, and the blacklisted communities.
 *
 * The charts are ECharts charts (canvas), drawn by the browser bundle the live server serves itself
 * at `/echarts.min.js` (nothing is fetched from elsewhere), in the report's palette
 * ({@link PALETTE}, dashes past it) with units on both axes, and updated as events arrive. Each has a
 * PNG button (the chart's own image, twice its size, on white) and a CSV button (the data the page
 * keeps, every point, a header naming each column's unit).
 *
 * For tests and curious users the page keeps `window.poso_live`: `events` (every event applied, in
 * order, with whether it came from the catch-up or live), `shown` (the `data-live` marks of what was
 * added to the page, in the order it appeared, recorded by a MutationObserver), `errors` (script
 * errors) and `csv(id)` (the CSV text the chart's CSV button downloads; ids `cost` and `trajectory`).
 *
 * @module
 */
import { CHART_FONT_PX, DASHES, PALETTE } from "./charts.ts";

/** The page's HTML (its script and stylesheet are separate files: the page's CSP allows only its own). */
export const LIVE_PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PoSo live</title>
<link rel="stylesheet" href="/live.css">
<script src="/echarts.min.js" defer></script>
<script src="/live.js" defer></script>
</head>
<body>
<header>
  <h1 id="title">PoSo live</h1>
  <div id="status" class="status">connecting…</div>
  <div id="now" class="now"></div>
</header>
<main>
  <section class="panel" id="participants-panel">
    <h2>Participants</h2>
    <table id="participants"><thead><tr><th>Name</th><th>Id</th><th>Roles</th><th>Behaviour</th>
    <th>Blacklisted by</th><th>Ledger height</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel" id="iteration-panel" hidden>
    <h2>Price iteration</h2>
    <p id="iteration-now"></p>
    <figure id="iteration-chart" class="chart">
      <figcaption>Price trajectory <span class="export"><button type="button" data-export="png"
      data-chart="trajectory">PNG</button> <button type="button" data-export="csv"
      data-chart="trajectory">CSV</button></span></figcaption>
      <div class="chart-box" id="trajectory-box" role="img" aria-label="price trajectory"></div>
    </figure>
    <table id="iteration-prices"><thead><tr><th>Price</th><th>Latest, CNY/MWh</th></tr></thead><tbody></tbody></table>
    <h3>Blacklisted communities</h3>
    <ul id="iteration-blacklists"><li class="none">none</li></ul>
  </section>
  <section class="panel" id="blocks-panel">
    <h2>Blocks</h2>
    <figure id="cost-chart" class="chart" hidden>
      <figcaption>Certified cost per day <span class="export"><button type="button" data-export="png"
      data-chart="cost">PNG</button> <button type="button" data-export="csv"
      data-chart="cost">CSV</button></span></figcaption>
      <div class="chart-box" id="cost-box" role="img" aria-label="certified cost per day"></div>
    </figure>
    <table id="blocks"><thead><tr><th>Day (height)</th><th>Round</th><th>Leader</th><th>Certified cost</th>
    <th>Gap</th><th>Check</th><th>Prices</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel" id="legend-panel">
    <h2>Message flow</h2>
    <p class="legend"><span class="passed">passed the check</span> <span class="rejected">failed the check</span>
    <span class="unchecked">taken unchecked (colluder or own proposal)</span> <span class="dropped">dropped</span>
    <span class="blacklist">blacklist</span> <span class="commit">commit</span></p>
    <div id="days"></div>
  </section>
</main>
</body>
</html>
`;

/** The page's stylesheet: readable from 700 px wide, statuses told apart by colour and by word. */
export const LIVE_PAGE_CSS: string = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1d; background: #fafafa; }
header { position: sticky; top: 0; background: #1f3a5f; color: #fff; padding: 8px 16px; display: flex;
  flex-wrap: wrap; gap: 16px; align-items: baseline; z-index: 1; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 15px; margin: 8px 0 4px; }
.status { font-weight: bold; }
.now { font-variant-numeric: tabular-nums; }
main { padding: 8px 16px; max-width: 1200px; }
.panel { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 8px 12px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.day { border-top: 2px solid #1f3a5f; margin-top: 8px; }
.round { margin: 4px 0 8px 8px; }
.round ul { margin: 2px 0; padding-left: 18px; }
.passed { color: #1a7f37; } .passed::before { content: "✔ "; }
.rejected { color: #c62828; } .rejected::before { content: "✘ "; }
.unchecked { color: #b35c00; } .unchecked::before { content: "⚠ "; }
.dropped { color: #666; } .dropped::before { content: "⊘ "; }
.blacklist { color: #6a1b9a; font-weight: bold; } .blacklist::before { content: "■ "; }
.commit { color: #0d47a1; font-weight: bold; } .commit::before { content: "● "; }
.note { color: #444; font-style: italic; }
.outcome { background: #eef5ee; border-left: 4px solid #1a7f37; padding: 4px 8px; margin: 4px 0; }
.outcome.none { background: #fbeeee; border-left-color: #c62828; }
.legend span { margin-right: 12px; }
figure { margin: 0 0 8px; }
figcaption { font-weight: bold; margin: 4px 0; }
.export { font-weight: normal; margin-left: 12px; }
.export button { font: inherit; font-size: 12px; padding: 1px 8px; }
.chart-box { width: 100%; height: 320px; }
.iteration-end { font-weight: bold; }
`;

/** The page's script (plain browser JavaScript; its charts use the ECharts bundle the server serves). */
export const LIVE_PAGE_JS: string = `"use strict";
(function () {
  var live = { events: [], shown: [], errors: [], caughtUp: false, lastSeq: 0 };
  window.poso_live = live;
  window.addEventListener("error", function (e) { live.errors.push(String(e.message)); });
  window.addEventListener("unhandledrejection", function (e) { live.errors.push(String(e.reason)); });
  // Whatever the page's policy refused (a chart drawing something it may not) is an error too.
  document.addEventListener("securitypolicyviolation", function (e) {
    live.errors.push("refused by the page's policy: " + e.violatedDirective + " " + (e.blockedURI || ""));
  });

  /** Most day sections kept on the page (older ones are removed; the blocks table keeps every day). */
  var MAX_DAYS_SHOWN = 7;
  /** Most days the cost chart draws (the last ones). */
  var MAX_CHART_DAYS = 365;

  var state = { run: null, symbol: "$", unit: "", day: 0, round: 0, phase: 0, over: false,
    people: {}, days: {}, costs: [] };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function amount(v) {
    if (v === undefined || v === null || !isFinite(v)) return state.symbol + "?";
    return state.symbol + Math.round(v).toLocaleString("en-US");
  }
  function gapText(v) {
    if (v === undefined || v === null || !isFinite(v)) return "–";
    return state.symbol + v.toFixed(2);
  }

  new MutationObserver(function (records) {
    records.forEach(function (r) {
      r.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1) return;
        if (n.hasAttribute("data-live")) live.shown.push(n.getAttribute("data-live"));
        n.querySelectorAll("[data-live]").forEach(function (m) { live.shown.push(m.getAttribute("data-live")); });
      });
    });
  }).observe(document.body, { childList: true, subtree: true });

  function showNow() {
    var parts = [];
    if (state.day) parts.push("day " + state.day);
    if (state.round) parts.push("round " + state.round);
    if (state.phase > 1) parts.push("relay phase " + state.phase);
    $("now").textContent = parts.join(", ");
    $("status").textContent = state.over ? "run over" : (live.caughtUp ? "live" : "catching up…");
  }

  function daySection(h) {
    var d = state.days[h];
    if (d) return d;
    var sec = el("section", { "class": "day", id: "day-" + h, "data-live": "day:" + h });
    sec.appendChild(el("h3", null, "Day " + h + " (block " + h + ")"));
    var rounds = el("div", { "class": "rounds" });
    var normal = el("ul", { "class": "normal" });
    var normalHead = el("h3", { "class": "normal-head", hidden: "" }, "Normal nodes");
    var result = el("div", { "class": "result" });
    sec.appendChild(rounds); sec.appendChild(normalHead); sec.appendChild(normal); sec.appendChild(result);
    $("days").insertBefore(sec, $("days").firstChild);
    d = state.days[h] = { sec: sec, rounds: rounds, normal: normal, normalHead: normalHead, result: result, r: {} };
    var all = $("days").querySelectorAll("section.day");
    for (var i = MAX_DAYS_SHOWN; i < all.length; i++) all[i].remove();
    return d;
  }

  function roundBox(h, r, leader) {
    var d = daySection(h);
    var box = d.r[r];
    if (box) {
      if (leader && box.leaderEl.textContent === "?") box.leaderEl.textContent = leader;
      return box;
    }
    var div = el("div", { "class": "round", id: "round-" + h + "-" + r, "data-live": "round:" + h + ":" + r });
    var head = el("h3", null, "Round " + r + ", leader ");
    var leaderEl = el("span", { "class": "leader" }, leader || "?");
    head.appendChild(leaderEl);
    div.appendChild(head);
    var msgs = el("ul", { "class": "messages" });
    var decisions = el("ul", { "class": "decisions" });
    var notes = el("ul", { "class": "notes" });
    div.appendChild(msgs); div.appendChild(decisions); div.appendChild(notes);
    d.rounds.appendChild(div);
    box = d.r[r] = { div: div, leaderEl: leaderEl, msgs: msgs, decisions: decisions, notes: notes };
    return box;
  }

  function person(name) { return state.people[name]; }

  function onRun(e) {
    state.run = e;
    state.symbol = e.costSymbol;
    state.unit = e.costUnit;
    $("title").textContent = "PoSo live: " + e.scenario + " (" + e.problem + ", " +
      (e.runtime === "workers" ? "Worker actors" : e.runtime === "simulator" ? "simulator" :
        "one process per participant") + ", " + (e.days === 0 ? "the published price iteration" : e.days +
      (e.days === 1 ? " day" : " days")) + ")";
    var body = $("participants").tBodies[0];
    body.textContent = "";
    e.participants.forEach(function (p) {
      var roles = [p.delegate ? "delegate" : "", p.normal ? "normal node" : ""].filter(Boolean).join(", ");
      var tr = el("tr", { id: "p-" + p.name });
      tr.appendChild(el("td", null, p.name));
      tr.appendChild(el("td", { "class": "num" }, String(p.id)));
      tr.appendChild(el("td", null, roles));
      tr.appendChild(el("td", null, p.behaviours.length ? p.behaviours.join(", ") : "honest"));
      var bl = el("td", { "class": "blacklisted" }, "");
      // A run of the published price iteration writes no ledger.
      var ledger = el("td", { "class": "num ledger" }, p.normal && e.days > 0 ? "0" : "–");
      tr.appendChild(bl); tr.appendChild(ledger);
      body.appendChild(tr);
      state.people[p.name] = { p: p, by: {}, bl: bl, ledger: ledger };
    });
  }

  function onMessage(e) {
    var box = roundBox(e.height, e.round);
    var words = { passed: "passed the check", unchecked: "taken unchecked", rejected: "rejected" };
    var text = e.to + " ← " + e.path.join("→") + " " + amount(e.cost) + ": " + words[e.status] +
      (e.reason ? " (" + e.reason + ")" : "");
    box.msgs.appendChild(el("li", { "class": e.status, "data-live": "message:" + e.height + ":" + e.round + ":" +
      e.to + ":" + e.path.join("") + ":" + e.status }, text));
  }

  function onDecision(e) {
    var box = roundBox(e.height, e.round);
    var text = e.decision === "commit"
      ? e.who + " commits " + e.leader + "'s proposal " + amount(e.cost)
      : e.who + " blacklists " + e.leader + (e.reason ? " (" + e.reason + ")" : "");
    box.decisions.appendChild(el("li", { "class": e.decision, "data-live": e.decision + ":" + e.height + ":" +
      e.round + ":" + e.who + ":" + e.leader }, text));
    if (e.decision === "blacklist") {
      var p = person(e.leader);
      if (p) {
        p.by[e.who] = true;
        p.bl.textContent = Object.keys(p.by).sort().join(", ");
      }
    }
  }

  /** Height → the outcome's box and table row (a later event of the same day replaces them). */
  var outcomes = {};
  function onOutcome(e) {
    var d = daySection(e.height);
    var old = outcomes[e.height];
    if (old) {
      old.box.remove();
      old.tr.remove();
      state.costs = state.costs.filter(function (c) { return c.day !== e.height; });
    }
    var tr = el("tr", { "data-live": "block:" + e.height + ":" + (e.round ? "committed" : "none") });
    var box;
    var prices = e.lines && e.lines.length ? e.lines.join("; ") : "";
    if (e.round) {
      box = el("div", { "class": "outcome", "data-live": "outcome:" + e.height },
        "Block " + e.height + " committed: round " + e.round + ", leader " + e.leader + ", certified cost " +
        amount(e.cost) + " " + state.unit + ", gap " + gapText(e.gap) + (e.verdict ? " (" + e.verdict + ")" : "") +
        (prices ? ". " + prices : ""));
      d.result.appendChild(box);
      [e.height, e.round, e.leader, amount(e.cost), gapText(e.gap), e.verdict || "", prices].forEach(function (v, i) {
        tr.appendChild(el("td", i === 0 || i === 1 || i === 3 || i === 4 ? { "class": "num" } : null, String(v)));
      });
      state.costs.push({ day: e.height, cost: e.cost });
      state.costs.sort(function (a, b) { return a.day - b.day; });
      if (state.costs.length > MAX_CHART_DAYS) state.costs.shift();
    } else {
      box = el("div", { "class": "outcome none", "data-live": "outcome:" + e.height },
        "No block was accepted on day " + e.height);
      d.result.appendChild(box);
      tr.appendChild(el("td", { "class": "num" }, String(e.height)));
      tr.appendChild(el("td", { colspan: "6" }, "no block"));
    }
    // Rows in day order (a replaced row goes back to its place).
    tr.setAttribute("data-height", String(e.height));
    var rows = $("blocks").tBodies[0], after = null;
    for (var i = 0; i < rows.rows.length; i++) {
      if (Number(rows.rows[i].getAttribute("data-height")) > e.height) { after = rows.rows[i]; break; }
    }
    rows.insertBefore(tr, after);
    outcomes[e.height] = { box: box, tr: tr };
    drawCosts();
  }

  /** Charts: ECharts instances (made once their panel is visible), their export names and CSV text. */
  var charts = {};
  var FONT = { fontFamily: "system-ui, sans-serif", fontSize: ${CHART_FONT_PX}, color: "#3e4c59" };
  /** The report's palette (cli/charts.ts); past its length a line is dashed. */
  var PALETTE = ${JSON.stringify(PALETTE)};
  var DASHES = ${JSON.stringify(DASHES.map((d) => d ?? null))};
  function lineStyle(i) {
    var dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
    return { color: PALETTE[i % PALETTE.length], width: 2, type: dash ? dash : "solid" };
  }
  /** The chart drawn in the box \`boxId\`, made on first use (its box must have a width by then). */
  function chartOf(id, boxId, file, csv) {
    var c = charts[id];
    if (c) return c;
    if (!window.echarts) throw new Error("the chart library (/echarts.min.js) did not load");
    c = charts[id] = { chart: echarts.init($(boxId), null, { renderer: "canvas" }), file: file, csv: csv };
    return c;
  }
  window.addEventListener("resize", function () {
    for (var id in charts) charts[id].chart.resize();
  });
  /** The common parts of a chart's option: font, grid, tooltip, no animation (it is redrawn as events come). */
  function baseOption(xName, yName, tip) {
    return {
      animation: false, backgroundColor: "#ffffff", textStyle: FONT,
      grid: { left: 16, right: 16, top: 36, bottom: 40, containLabel: true },
      // Drawn in the canvas: an HTML tooltip would need inline style attributes, which the page refuses.
      tooltip: { trigger: "axis", renderMode: "richText", formatter: tip },
      xAxis: { name: xName, nameLocation: "middle", nameGap: 28, nameTextStyle: FONT,
        axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", name: yName, nameTextStyle: { align: "left" }, axisLine: { show: true },
        axisLabel: { hideOverlap: true } }
    };
  }
  /** A CSV field as the report writes it: numbers to 10 significant digits, text quoted, formulas defused. */
  function csvField(v) {
    if (typeof v === "number") return isFinite(v) ? String(Number(v.toPrecision(10))) : "";
    var t = /^[=+\\-@\\t\\r]/.test(v) ? "'" + v : v;
    return /[",\\r\\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function csvText(rows) {
    return rows.map(function (r) { return r.map(csvField).join(","); }).join("\\r\\n") + "\\r\\n";
  }
  live.csv = function (id) { return charts[id] ? charts[id].csv() : ""; };

  function download(name, href) {
    var a = el("a", { download: name, href: href });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-export]") : null;
    if (!button) return;
    var c = charts[button.getAttribute("data-chart")];
    if (!c) return;
    if (button.getAttribute("data-export") === "png") {
      download(c.file + ".png", c.chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" }));
    } else {
      var url = URL.createObjectURL(new Blob([c.csv()], { type: "text/csv;charset=utf-8" }));
      download(c.file + ".csv", url);
      setTimeout(function () { URL.revokeObjectURL(url); }, 0);
    }
  });

  /** Bars of the certified cost per day (the unit on the y axis), one per day with a block. */
  function drawCosts() {
    var pts = state.costs;
    if (!pts.length) return;
    $("cost-chart").hidden = false;
    var yName = "certified cost (" + state.unit + ")";
    var c = chartOf("cost", "cost-box", "cost-per-day", function () {
      return csvText([["day (block height)", yName]].concat(state.costs.map(function (p) { return [p.day, p.cost]; })));
    });
    var o = baseOption("day (block height)", yName, function (ps) {
      return "day " + ps[0].name + "\\n" + ps.map(function (p) {
        return p.seriesName + ": " + amount(p.value) + " " + state.unit;
      }).join("\\n");
    });
    o.xAxis.type = "category";
    o.xAxis.data = pts.map(function (p) { return String(p.day); });
    o.xAxis.axisTick = { alignWithLabel: true };
    o.yAxis.axisLabel.formatter = function (v) { return amount(v); };
    o.series = [{ type: "bar", name: "certified cost", data: pts.map(function (p) { return p.cost; }),
      itemStyle: { color: PALETTE[0] }, barMaxWidth: 40 }];
    c.chart.setOption(o, true);
    $("cost-box").setAttribute("data-days", String(pts.length));
  }

  /**
   * The price iteration: names of its prices, the rounds received (round, prices by name), its
   * blacklists. Line colours: the report's palette, dashed past its length.
   */
  var iter = { names: [], unit: "CNY/MWh", points: [], blacklists: {}, drawPending: false };
  /** Most rounds the trajectory chart draws (beyond, every k-th round, the last always). */
  var MAX_CHART_ROUNDS = 1000;

  function onIterationStart(e) {
    iter.names = e.prices.slice();
    iter.unit = e.unit;
    $("iteration-panel").hidden = false;
    $("blocks-panel").hidden = true;
    $("legend-panel").hidden = true;
    $("iteration-now").textContent = "Stops when the price change is below " + e.tolerance + " " + e.unit +
      " or after " + e.maxRounds + " rounds.";
  }
  function onIteration(e) {
    if (!iter.names.length) iter.names = Object.keys(e.prices);
    var last = iter.points[iter.points.length - 1];
    if (last && e.round <= last.round) return;
    iter.points.push({ round: e.round, prices: e.prices, change: e.change });
    state.round = e.round;
    $("iteration-now").textContent = "Round " + e.round + ": price change " + e.change.toExponential(2) + " " +
      iter.unit + (e.dissenters && e.dissenters.length ? " (delegates " + e.dissenters.join(", ") + " differ)" : "");
    showPrices(e.prices);
    if (!iter.drawPending) {
      iter.drawPending = true;
      setTimeout(function () { iter.drawPending = false; drawTrajectory(); }, 0);
    }
  }
  function showPrices(prices, final) {
    var body = $("iteration-prices").tBodies[0];
    body.textContent = "";
    iter.names.forEach(function (n, i) {
      var tr = el("tr", final ? { "data-live": "final-price:" + n } : null);
      var sw = el("td", null, n);
      sw.style.color = PALETTE[i % PALETTE.length];
      tr.appendChild(sw);
      tr.appendChild(el("td", { "class": "num" }, prices[n] === undefined ? "–" : prices[n].toFixed(4)));
      body.appendChild(tr);
    });
  }
  function onIterationBlacklist(e) {
    var list = $("iteration-blacklists");
    var none = list.querySelector(".none");
    if (none) none.remove();
    list.appendChild(el("li", { "class": "blacklist", "data-live": "iteration-blacklist:" + e.round + ":" +
      e.delegate + ":" + e.community }, e.delegate + " blacklisted community " + e.community + " in round " + e.round));
    var p = person(e.community);
    if (p) { p.by[e.delegate] = true; p.bl.textContent = Object.keys(p.by).sort().join(", "); }
  }
  function onIterationEnd(e) {
    showPrices(e.prices, true);
    $("iteration-now").appendChild(el("span", { "class": "iteration-end", "data-live": "iteration-end" },
      " " + (e.converged ? "Converged" : "Did NOT converge") + " after " + e.rounds + " rounds, " +
      e.messages.toLocaleString("en-US") + " messages; final prices below."));
    drawTrajectory();
  }
  /** One line per price: the price (its unit) against the round, every round kept (thinned past MAX_CHART_ROUNDS). */
  function drawTrajectory() {
    var all = iter.points;
    if (!all.length) return;
    var k = Math.ceil(all.length / MAX_CHART_ROUNDS);
    var pts = k <= 1 ? all : all.filter(function (p, i) { return i % k === 0 || i === all.length - 1; });
    var c = chartOf("trajectory", "trajectory-box", "price-trajectory", function () {
      var head = ["round"].concat(iter.names.map(function (n) { return n + " (" + iter.unit + ")"; }));
      return csvText([head].concat(iter.points.map(function (p) {
        return [p.round].concat(iter.names.map(function (n) { return p.prices[n] === undefined ? NaN : p.prices[n]; }));
      })));
    });
    var o = baseOption("round", "price (" + iter.unit + ")", function (ps) {
      return "round " + ps[0].value[0] + "\\n" + ps.map(function (p) {
        return p.seriesName + ": " + p.value[1].toFixed(4) + " " + iter.unit;
      }).join("\\n");
    });
    o.grid.bottom = 40 + 22 * Math.ceil(iter.names.length / 5);
    o.xAxis.type = "value";
    o.xAxis.min = "dataMin";
    o.xAxis.max = "dataMax";
    o.xAxis.minInterval = 1;
    o.yAxis.scale = true;
    o.legend = { type: "plain", bottom: 4, left: 16, right: 16, textStyle: FONT,
      data: iter.names.slice() };
    o.series = iter.names.map(function (n, i) {
      return { type: "line", name: n, showSymbol: false, color: PALETTE[i % PALETTE.length], lineStyle: lineStyle(i),
        data: pts.filter(function (p) { return p.prices[n] !== undefined; })
          .map(function (p) { return [p.round, p.prices[n]]; }) };
    });
    c.chart.setOption(o, true);
    $("trajectory-box").setAttribute("data-rounds", String(all.length));
  }

  function apply(e, isLive) {
    live.events.push({ seq: e.seq, kind: e.kind, live: isLive });
    if (e.seq > live.lastSeq) live.lastSeq = e.seq;
    switch (e.kind) {
      case "run": onRun(e); break;
      case "day": state.day = e.height; state.round = 0; state.phase = 0; daySection(e.height); break;
      case "round": state.day = e.height; state.round = e.round; state.phase = 1; roundBox(e.height, e.round, e.leader); break;
      case "phase": state.phase = e.phase; break;
      case "message": onMessage(e); break;
      case "dropped": {
        var box = roundBox(e.height || state.day, e.round || 1);
        box.msgs.appendChild(el("li", { "class": "dropped" }, "to " + e.to + ": dropped (" + e.reason + ")"));
        break;
      }
      case "decision": onDecision(e); break;
      case "accept": {
        var d = daySection(e.height);
        d.normalHead.hidden = false;
        d.normal.appendChild(el("li", { "class": "passed", "data-live": "accept:" + e.height + ":" + e.who },
          e.who + " accepts " + e.leader + "'s block of round " + e.round + " " + amount(e.cost)));
        break;
      }
      case "block": {
        var p = person(e.node);
        if (p) { p.ledger.textContent = String(e.height); p.ledger.setAttribute("data-height", String(e.height)); }
        break;
      }
      case "outcome": onOutcome(e); break;
      case "iterationStart": onIterationStart(e); break;
      case "iteration": onIteration(e); break;
      case "iterationBlacklist": onIterationBlacklist(e); break;
      case "iterationEnd": onIterationEnd(e); break;
      case "note": {
        if (e.height > 0 && e.round > 0) {
          roundBox(e.height, e.round).notes.appendChild(el("li", { "class": "note" }, e.text));
        } else {
          $("days").appendChild(el("p", { "class": "note" }, e.text));
        }
        break;
      }
      case "end":
        state.over = true;
        document.querySelector("header").appendChild(el("div", { "class": "end", "data-live": "end" },
          "Run over: " + e.text));
        break;
    }
    showNow();
  }

  var source = new EventSource("/events");
  source.onmessage = function (m) {
    var e = JSON.parse(m.data);
    if (e.seq > 0 && e.seq <= live.lastSeq) return; // already shown (a reconnection's replay)
    apply(e, live.caughtUp);
  };
  source.addEventListener("caughtup", function () { live.caughtUp = true; showNow(); });
  source.onerror = function () {
    if (state.over) { source.close(); $("status").textContent = "run over"; return; }
    $("status").textContent = "disconnected, retrying…";
  };
})();
`;
