/**
 * Under Deno a stopped libp2p node keeps the process alive: its peer store locks
 * come from `mortice`, whose first use opens a process-wide
 * `BroadcastChannel("mortice")` (for lock requests from worker threads) and
 * calls `channel.unref?.()`, which Deno's BroadcastChannel lacks. That channel
 * is never closed, so the event loop never empties.
 *
 * Importing this module creates mortice's implementation eagerly, catches the
 * channel it opens and closes it. PoSo's worker threads never ask libp2p's
 * locks for anything (libp2p runs in one thread per process), so nothing uses
 * that channel. If mortice was already set up before this module ran, or a
 * later mortice version opens it elsewhere, {@link morticeChannelClosed} is
 * false and the caller must end the process with `Deno.exit()` after
 * `Transport.stop()`.
 *
 * @module
 */
import mortice from "mortice";

/** The channel name mortice 3.x uses. */
const MORTICE_CHANNEL = "mortice";

function closeMorticeChannel(): boolean {
  const Original = globalThis.BroadcastChannel;
  if (typeof Original !== "function") return true;
  const caught: BroadcastChannel[] = [];
  globalThis.BroadcastChannel = class extends Original {
    constructor(name: string) {
      super(name);
      if (name === MORTICE_CHANNEL) caught.push(this);
    }
  };
  try {
    // A throw-away mutex: mortice sets up its process-wide implementation synchronously here.
    mortice({ name: "poso-transport-probe", singleProcess: true }).finalize();
  } finally {
    globalThis.BroadcastChannel = Original;
  }
  for (const c of caught) c.close();
  return caught.length > 0;
}

/** True when mortice's channel was found and closed: a stopped Transport then lets the process exit. */
export const morticeChannelClosed: boolean = closeMorticeChannel();
