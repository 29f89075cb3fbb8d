/**
 * Whether a daemon answers on a root's socket: the CLI uses one that does, `serve` refuses
 * to start beside one. A daemon that does not answer within seconds is stopped or wedged:
 * neither waits on it for ever. "gone" is a socket nobody listens on (a daemon that died).
 * Any HTTP answer counts: whatever listens there is alive, and its socket is not taken.
 *
 *   if ((await probeDaemon(runtime.fetchVia(socket))) === "answers") …
 */
export type Probe = "answers" | "silent" | "gone";

/** How long a daemon has to answer /healthz. */
const PROBE_MS = 5000;

export function probeDaemon(viaSocket: typeof fetch): Promise<Probe> {
  return viaSocket("http://localhost/healthz", { signal: AbortSignal.timeout(PROBE_MS) })
    .then((): Probe => "answers", (err): Probe => ((err as Error)?.name === "TimeoutError" ? "silent" : "gone"));
}
