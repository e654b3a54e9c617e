/**
 * A participant as a Deno Worker actor: its mailbox is the Worker's message
 * queue, processed one input at a time; it runs the delegate machine
 * (wrapped by its configured behaviours) and/or the normal-node machine,
 * solves when it leads (inside this Worker), and reports every effect to
 * the supervisor, which routes the messages.
 *
 * Nothing an input carries can crash it: machines never throw on junk, and
 * any error while handling one input is reported and the mailbox goes on.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { withMisbehaviour } from "../consensus/behaviours.ts";
import { type DelegateState, initDelegate, stepDelegate } from "../consensus/delegate.ts";
import { dispatchDigest, makeVerifier } from "../consensus/digest.ts";
import { checkCertificate, makeCertificate } from "../models/certificate.ts";
import { initNormal, type NormalState, stepNormal } from "../consensus/normal.ts";
import type {
  DelegateEffect,
  DelegateEvent,
  NormalEffect,
  Proposal,
  ProposalVariant,
  Verifier,
} from "../consensus/types.ts";
import { loadUomCase } from "../models/case.ts";
import { buildDispatchModel, type DispatchModel } from "../models/dispatch.ts";
import { glpk } from "../models/glpk.ts";
import { solveVariant } from "../models/variants.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.ts";

interface Actor {
  init: WorkerInit;
  model: DispatchModel;
  env: Verifier;
  delegate?: {
    state: DelegateState;
    step: (e: Verifier, s: DelegateState, ev: DelegateEvent) => DelegateEffect[];
  };
  normal?: NormalState;
}

/** Checks of a throw-away certificate run at start-up to warm the JIT (each costs well under 1 ms warm). */
const WARM_UP_CHECKS = 20;

let actor: Actor | undefined;
const mailbox: ToWorker[] = [];
let busy = false;
let checkMs = 0;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

/** The verifier with its checking time measured. */
function timed(env: Verifier): Verifier {
  return {
    ...env,
    verify(cert) {
      const t0 = performance.now();
      try {
        return env.verify(cert);
      } finally {
        checkMs += performance.now() - t0;
      }
    },
  };
}

/** JIT-compiles the checker and the digest at start-up, so the first real check in a round is not a cold one. */
function warmUp(model: DispatchModel): void {
  const lp = model.lp;
  for (let k = 0; k < WARM_UP_CHECKS; k++) {
    const cert = makeCertificate(
      lp,
      new Float64Array(lp.colNames.length),
      new Float64Array(lp.rowNames.length),
    );
    checkCertificate(lp, cert);
    dispatchDigest(cert);
  }
}

async function start(init: WorkerInit): Promise<void> {
  const t0 = performance.now();
  const model = buildDispatchModel(await loadUomCase());
  await glpk(); // load the solver now, not inside the first round
  warmUp(model);
  const env = timed(makeVerifier(model));
  const a: Actor = { init, model, env };
  if (init.delegate) {
    const d = init.delegate;
    const config = { id: init.id, names: init.names, delegates: d.delegates, normals: d.normals };
    a.delegate = {
      state: initDelegate(config, d.snapshot),
      step: withMisbehaviour(d.misbehaviour, init.id, stepDelegate, { alreadyCrashed: d.alreadyCrashed }),
    };
  }
  if (init.normal) {
    a.normal = initNormal({
      id: init.id,
      names: init.names,
      delegates: init.normal.delegates,
      verifyCertificates: init.normal.verifyCertificates,
    });
  }
  actor = a;
  post({ type: "ready", id: init.id, startupMs: performance.now() - t0 });
}

async function solve(a: Actor, round: number, variants: ProposalVariant[]): Promise<DelegateEvent> {
  const proposals: Partial<Record<ProposalVariant, Proposal>> = {};
  for (const v of variants) {
    const s = await solveVariant(a.model, v);
    // Typed arrays cross Worker boundaries as one memory copy, not element by element.
    const certificate = {
      ...s.certificate,
      x: Float64Array.from(s.certificate.x),
      y: Float64Array.from(s.certificate.y),
    };
    proposals[v] = { round, leader: a.init.id, certificate, claimedCostUsd: s.cost.total };
  }
  return { kind: "solved", round, proposals };
}

/** Steps the delegate, carrying out its solves in place; posts effects as they come. */
async function runDelegate(a: Actor, seq: number, event: DelegateEvent): Promise<void> {
  const d = a.delegate!;
  let pending: DelegateEvent | undefined = event;
  let solveMs = 0;
  do {
    checkMs = 0;
    const effects = d.step(a.env, d.state, pending!);
    pending = undefined;
    const solveEffect = effects.find((e) => e.kind === "solve");
    post({
      type: "effects",
      id: a.init.id,
      seq,
      final: !solveEffect,
      delegate: effects,
      normal: [],
      solveMs,
      checkMs,
    });
    solveMs = 0;
    if (solveEffect?.kind === "solve") {
      const t0 = performance.now();
      pending = await solve(a, solveEffect.round, solveEffect.variants);
      solveMs = performance.now() - t0;
    }
  } while (pending);
}

function deliver(a: Actor, seq: number, msg: unknown): void {
  checkMs = 0;
  const kind = (msg as { kind?: unknown } | null)?.kind;
  let delegate: DelegateEffect[] = [], normal: NormalEffect[] = [];
  if (kind === "decision" && a.normal) normal = stepNormal(a.env, a.normal, { kind: "receive", msg });
  else if (a.delegate) delegate = a.delegate.step(a.env, a.delegate.state, { kind: "receive", msg });
  else if (a.normal) normal = stepNormal(a.env, a.normal, { kind: "receive", msg });
  post({ type: "effects", id: a.init.id, seq, final: true, delegate, normal, solveMs: 0, checkMs });
}

async function handle(input: ToWorker): Promise<void> {
  if (input?.type === "init") return await start(input);
  const a = actor;
  const seq = typeof (input as { seq?: unknown })?.seq === "number" ? (input as { seq: number }).seq : -1;
  const empty = (final: boolean) =>
    post({
      type: "effects",
      id: a?.init.id ?? -1,
      seq,
      final,
      delegate: [],
      normal: [],
      solveMs: 0,
      checkMs: 0,
    });
  if (!a) return empty(true);
  if (input?.type === "event" && a.delegate) return await runDelegate(a, seq, input.event);
  if (input?.type === "deliver") return deliver(a, seq, input.msg);
  empty(true);
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  while (mailbox.length) {
    const input = mailbox.shift()!;
    try {
      await handle(input);
    } catch (e) {
      // One bad input never takes the actor down: say what happened and go on.
      post({ type: "failed", id: actor?.init.id ?? -1, error: (e as Error)?.stack ?? String(e) });
      const seq = (input as { seq?: unknown })?.seq;
      if (typeof seq === "number") {
        post({
          type: "effects",
          id: actor?.init.id ?? -1,
          seq,
          final: true,
          delegate: [],
          normal: [],
          solveMs: 0,
          checkMs: 0,
        });
      }
    }
  }
  busy = false;
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  mailbox.push(e.data);
  void drain();
};
