/**
 * A real turn of the event loop. The store is synchronous underneath, so a chain of
 * awaits never lets a server answer in between; long work calls this now and then.
 * setImmediate, not a timer: timers are clamped to a millisecond, which hundreds of
 * turns would add up.
 */
import { setImmediate } from "node:timers";

export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
