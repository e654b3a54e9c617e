/**
 * What makes Worker runs fast without changing what they decide: a Worker
 * makes each day's problem from the data the supervisor sends (it never
 * rebuilds it from the case), only a delegate loads a solver, the one the
 * scenario names, and a leader whose solve overruns the round is named in
 * the trace with its solve time.
 */
import assert from "node:assert/strict";
import { runScenario, WORKER_MODULE } from "../actors/supervisor.ts";
import type { FromWorker, ToWorker, WorkerInit } from "../actors/protocol.ts";
import type { DelegateEffect } from "../consensus/types.ts";
import type { SolverName } from "../lp/solver.ts";
import { type Problem, problemData, problemKind } from "../mod.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { tmpDir, workerInitBase } from "./helpers.ts";
import { consensusFixture } from "./consensus_fixture.ts";
import { lpFingerprint } from "../lp/certificate.ts";

const kind = problemKind("ies-dispatch");
const LEADER = 9;
/** A Worker that sends nothing expected for this long, ms, fails the test instead of hanging it. */
const SILENT_LIMIT_MS = 60_000;

/** A Worker and the replies it posted; `until` waits for one that satisfies `pred`. */
function startWorker(init: WorkerInit) {
  const worker = new Worker(WORKER_MODULE, { type: "module" });
  const replies: FromWorker[] = [];
  let wake: (() => void) | undefined;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    replies.push(e.data);
    wake?.();
  };
  worker.onerror = (e) => {
    e.preventDefault();
    replies.push({ type: "failed", id: -1, error: e.message });
    wake?.();
  };
  /** The first reply that satisfies `pred`; fails on a Worker that failed or went silent instead. */
  const until = async (pred: (r: FromWorker) => boolean): Promise<FromWorker> => {
    const t0 = performance.now();
    for (;;) {
      const hit = replies.find(pred);
      if (hit) return hit;
      const failed = replies.find((r) => r.type === "failed" || r.type === "startFailed");
      if (failed) throw new Error(`the Worker failed: ${JSON.stringify(failed)}`);
      const left = SILENT_LIMIT_MS - (performance.now() - t0);
      if (left <= 0) throw new Error(`no such reply from the Worker in ${SILENT_LIMIT_MS} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, left);
      });
      clearTimeout(timer);
    }
  };
  worker.postMessage(init);
  return { worker, replies, until, post: (input: ToWorker) => worker.postMessage(input) };
}

/** A lone delegate (D, id 9) that leads every round, and normal node, of day 1. */
async function loneDelegate(problem: WorkerInit["problem"], solver?: string): Promise<WorkerInit> {
  const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
  return {
    type: "init",
    id: LEADER,
    names: { [LEADER]: "D" },
    ...await workerInitBase(scenario),
    problem,
    ...(solver === undefined ? {} : { solver: solver as SolverName }),
    day: { height: 1, loadFactor: 1, blacklistAtStart: [] },
    delegate: {
      delegates: [LEADER],
      normals: [],
      protocol: "paper",
      misbehaviour: {},
      alreadyCrashed: false,
    },
  };
}

async function dayProblem(loadFactor: number, height = 1): Promise<Problem> {
  return kind.problemFor(await kind.loadCase(kind.defaultCase), { height, loadFactor });
}

/** The certificate of the proposal the leader sends when round `round` starts. */
async function proposalOf(w: ReturnType<typeof startWorker>, seq: number, round: number) {
  w.post({ type: "event", seq, event: { kind: "roundStart", round } });
  const reply = await w.until((r) =>
    r.type === "effects" && r.seq === seq && r.delegate.some((e) => e.kind === "send")
  );
  const send = (reply as { delegate: DelegateEffect[] }).delegate.find((e) => e.kind === "send");
  assert.ok(send?.kind === "send" && send.msg.kind === "proposal");
  return send.msg.proposal.certificate;
}

Deno.test("Workers: a Worker makes each day's problem from the supervisor's data (with the day or ahead of it), not from the case", async () => {
  const [day1, day2, day3] = [await dayProblem(1), await dayProblem(1.03, 2), await dayProblem(0.97, 3)];
  // A case the Worker could not build anything from: it must never need it.
  const init = await loneDelegate({
    kind: kind.name,
    case: { not: "a case" },
    data: problemData(kind, day1),
  });
  const w = startWorker(init);
  try {
    await w.until((r) => r.type === "ready");
    assert.equal((await proposalOf(w, 1, 1)).lpId, day1.id, "day 1's proposal is for day 1's LP");
    // Day 2 comes with its problem's data: the Worker's problem is that one.
    w.post({
      type: "day",
      seq: 2,
      day: { height: 2, loadFactor: 1.03, blacklistAtStart: [] },
      problem: problemData(kind, day2),
    });
    await w.until((r) => r.type === "effects" && r.seq === 2 && r.final);
    const cert = await proposalOf(w, 3, 1);
    assert.equal(cert.lpId, day2.id, "day 2's proposal is for day 2's LP");
    assert.equal(day2.verifier.verify(cert).verdict, "accepted");
    // Day 3's data comes ahead of the day (while a round waits); the day itself then carries none.
    w.post({ type: "prepare", seq: 4, height: 3, loadFactor: 0.97, problem: problemData(kind, day3) });
    w.post({ type: "day", seq: 5, day: { height: 3, loadFactor: 0.97, blacklistAtStart: [] } });
    await w.until((r) => r.type === "effects" && r.seq === 5 && r.final);
    assert.equal((await proposalOf(w, 6, 1)).lpId, day3.id, "day 3's proposal is for day 3's LP");
  } finally {
    w.worker.terminate();
  }
});

Deno.test("Workers: a delegate solves with the solver the scenario names", async () => {
  const day1 = await dayProblem(1);
  // GLPK's optimum of this LP is the cached proposal book's (the same LP: same fingerprint).
  const { model, book } = await consensusFixture();
  assert.equal(day1.id, lpFingerprint(model.lp), "day 1 is the book's LP");
  const optimumBy = {
    glpk: book.optimal.certificate,
    highs: (await day1.solve("optimal", { solver: "highs" })).certificate,
  };
  // Both Workers at once: each solves alone in its own thread.
  await Promise.all((["glpk", "highs"] as const).map(async (solver) => {
    const expected = day1.verifier.digest(optimumBy[solver]);
    const w = startWorker(
      await loneDelegate({ kind: kind.name, case: null, data: problemData(kind, day1) }, solver),
    );
    try {
      await w.until((r) => r.type === "ready");
      const cert = await proposalOf(w, 1, 1);
      // The two back ends reach different optimal vertices of this LP: the digest tells which one solved.
      assert.equal(day1.verifier.digest(cert), expected, `the leader's dispatch is ${solver}'s`);
    } finally {
      w.worker.terminate();
    }
  }));
  assert.notEqual(day1.verifier.digest(optimumBy.glpk), day1.verifier.digest(optimumBy.highs));
});

Deno.test("Workers: only a delegate loads a solver; an unknown one stops it at start-up, naming it", async () => {
  const data = problemData(kind, await dayProblem(1));
  const delegateInit = await loneDelegate({ kind: kind.name, case: null, data }, "cplex");
  const { delegate: _d, ...normalOnly } = delegateInit;
  const normalInit: WorkerInit = { ...normalOnly, normal: { delegates: [8], verifyCertificates: false } };
  const [d, n] = [startWorker(delegateInit), startWorker(normalInit)];
  try {
    await assert.rejects(d.until((r) => r.type === "ready"), /startFailed.*unknown solver \\"cplex\\"/);
    await n.until((r) => r.type === "ready"); // a normal node needs no solver
  } finally {
    d.worker.terminate();
    n.worker.terminate();
  }
});

Deno.test("Workers: a leader whose solve overruns the round is named in the trace with its solve time", async () => {
  const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
  // A 1 ms round: no solve fits; two rounds are enough to see it.
  const report = await runScenario({ ...scenario, maxRounds: 2 }, {
    dataDir: await tmpDir("runtime-late-leader"),
    roundTimeoutMs: 1,
  });
  assert.equal(report.outcome, null, "no round had a proposal in time");
  for (const [round, leader] of [[1, "C"], [2, "D"]] as const) {
    const notes = report.rounds[round - 1].notes;
    assert.ok(
      notes.some((n) =>
        new RegExp(
          `^leader ${leader}'s proposal arrived after round ${round} ended \\(solve took \\d+ ms, timeout 1 ms\\)$`,
        ).test(n)
      ),
      `round ${round}: ${notes.join("; ")}`,
    );
  }
});
