/**
 * A participant as a Deno Worker actor: its mailbox is the Worker's message queue, and everything it
 * does is posted to the supervisor, which routes its messages (the participant itself:
 * actors/participant.ts, the same core a node process runs).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { createParticipant } from "./participant.ts";
import type { ToWorker } from "./protocol.ts";

const participant = createParticipant((msg) => self.postMessage(msg));

self.onmessage = (e: MessageEvent<ToWorker>) => participant.enqueue(e.data);
