/**
 * The clock of a chain whose participants run as processes of their own (no supervisor): the
 * genesis fixes the schedule (consensus/ledger.ts GenesisSchedule) and every node fires its day,
 * round, relay-phase and timeout events from its own clock. Pure functions of the schedule.
 *
 * @module
 */
import type { GenesisSchedule } from "../consensus/ledger.ts";
import type { Scenario } from "../scenarios/loader.ts";
import { defaultFaults } from "../consensus/delegate.ts";

/**
 * Time left after a day's last round for the delegates' decisions to reach the normal nodes and be
 * written, as a multiple of one round's timeout (default block interval: the rounds plus this).
 */
export const DECISION_WINDOW_ROUNDS = 1;

/** Length of one round: its timeout and its relay phases, ms. */
export function roundLengthMs(s: GenesisSchedule): number {
  return s.roundMs + s.phases * s.phaseMs;
}

/** When day (block) `height` starts, Unix ms. */
export function dayStartMs(s: GenesisSchedule, height: number): number {
  return s.startMs + (height - 1) * s.blockMs;
}

/** When round `round` of day `height` starts, Unix ms. */
export function roundStartMs(s: GenesisSchedule, height: number, round: number): number {
  return dayStartMs(s, height) + (round - 1) * roundLengthMs(s);
}

/** One thing the clock makes happen. */
export type Tick =
  | { kind: "roundStart"; height: number; round: number; at: number }
  | { kind: "phase"; height: number; round: number; phase: number; at: number }
  | { kind: "roundEnd"; height: number; round: number; at: number }
  /** The day's rounds are over; the next day starts at `at`. */
  | { kind: "dayEnd"; height: number; at: number };

/**
 * Every event of day `height` in time order: each round's start, its relay phases, its end, then
 * the day's end (the next day's start).
 *
 * @example
 * ```ts
 * import { ticksOfDay } from "./schedule.ts";
 * const s = { startMs: 0, blockMs: 4000, roundMs: 1000, phases: 0, phaseMs: 0, maxRounds: 3 };
 * console.log(ticksOfDay(s, 1).map((t) => `${t.kind}@${t.at}`).join(" "));
 * // roundStart@0 roundEnd@1000 roundStart@1000 roundEnd@2000 roundStart@2000 roundEnd@3000 dayEnd@4000
 * ```
 */
export function ticksOfDay(s: GenesisSchedule, height: number): Tick[] {
  const out: Tick[] = [];
  for (let round = 1; round <= s.maxRounds; round++) {
    const at = roundStartMs(s, height, round);
    out.push({ kind: "roundStart", height, round, at });
    for (let phase = 2; phase <= s.phases + 1; phase++) {
      out.push({ kind: "phase", height, round, phase, at: at + s.roundMs + (phase - 2) * s.phaseMs });
    }
    out.push({ kind: "roundEnd", height, round, at: at + roundLengthMs(s) });
  }
  out.push({ kind: "dayEnd", height, at: dayStartMs(s, height + 1) });
  return out;
}

/** The day (block height) whose interval holds time `nowMs` (1 before the chain starts). */
export function heightAt(s: GenesisSchedule, nowMs: number): number {
  return Math.max(1, Math.floor((nowMs - s.startMs) / s.blockMs) + 1);
}

/**
 * The round of day `height` in progress at `nowMs`: 0 before its first round, `maxRounds + 1` once
 * its last round ended.
 */
export function roundAt(s: GenesisSchedule, height: number, nowMs: number): number {
  const t = nowMs - dayStartMs(s, height);
  if (t < 0) return 0;
  return Math.min(s.maxRounds + 1, Math.floor(t / roundLengthMs(s)) + 1);
}

/**
 * A scenario's schedule for a chain starting at `startMs`: its round timeout and (strict protocol)
 * relay phases, its rounds per day, and days `blockMs` apart (default: the rounds plus
 * {@link DECISION_WINDOW_ROUNDS} timeouts).
 *
 * @example
 * ```ts ignore
 * const s = scheduleFor(await loadScenarioFile("scenarios/scenario1.yaml"), Date.now() + 3000);
 * console.log(s.roundMs, s.maxRounds, s.blockMs); // 3000 5 18000
 * ```
 */
export function scheduleFor(
  scenario: Pick<
    Scenario,
    "roundTimeoutMs" | "phaseMs" | "protocol" | "maxRounds" | "faultTolerance" | "participants"
  >,
  startMs: number,
  options: { blockMs?: number; roundMs?: number } = {},
): GenesisSchedule {
  const delegates = scenario.participants.filter((p) => p.delegate).length;
  const phases = scenario.protocol === "strict" ? scenario.faultTolerance ?? defaultFaults(delegates) : 0;
  const roundMs = options.roundMs ?? scenario.roundTimeoutMs;
  const phaseMs = phases > 0 ? scenario.phaseMs : 0;
  const blockMs = options.blockMs ??
    scenario.maxRounds * (roundMs + phases * phaseMs) + DECISION_WINDOW_ROUNDS * roundMs;
  return { startMs: Math.round(startMs), blockMs, roundMs, phases, phaseMs, maxRounds: scenario.maxRounds };
}
