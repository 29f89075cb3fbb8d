/**
 * Errors a user can cause carry one of SPEC §4's codes. The CLI maps the code to an
 * exit status and the server to an HTTP status, each in one place; everything else
 * makes one of these with the helpers below, never by hand.
 */
export const exitCodes = {
  error: 1,
  usage: 2,
  not_found: 3,
  locked: 4,
  invalid: 5,
  missing_blob: 6,
  key_not_found: 7,
  integrity: 8,
  no_space: 9,
  remote_refused: 10,
} as const;

export type ErrorCode = keyof typeof exitCodes;

export class StrataError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = "StrataError";
  }
}

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === "string" && code in exitCodes;

export const failed = (message: string) => new StrataError("error", message);
export const usage = (message: string) => new StrataError("usage", message);
export const notFound = (what: string) => new StrataError("not_found", `${what} not found`);
export const locked = (id: string) => new StrataError("locked", `record ${id} is in use`);
export const invalid = (message: string) => new StrataError("invalid", message);
/** A blob that is neither stored nor reachable (BuildKit's NeedsRemoteProviderError). */
export const missingBlob = (message: string) => new StrataError("missing_blob", message);
export const keyNotFound = (name: string) => new StrataError("key_not_found", `key ${name} not found`);
/** A cache miss that is not a key's: a registry tag that names nothing (SPEC §6). */
export const cacheMiss = (message: string) => new StrataError("key_not_found", message);
/** Bytes that are not what they claim: a digest or size mismatch, a corrupt or hostile layer. */
export const integrity = (message: string) => new StrataError("integrity", message);
/** The device is full (ENOSPC, EDQUOT): a CI script can prune and retry. */
export const noSpace = (message: string) => new StrataError("no_space", message);
/** A registry said no (auth, denied, its own error after retries); never carries credentials. */
export const remoteRefused = (message: string) => new StrataError("remote_refused", message);

/** What the system's error codes mean, in words a user reads after the name of the thing. */
const systemReasons: { [code: string]: string } = {
  ENOENT: "does not exist", EACCES: "permission denied", EPERM: "operation not permitted",
  EIO: "input/output error", ENOSPC: "no space left on the device", EDQUOT: "disk quota exceeded",
  EISDIR: "is a directory", ENOTDIR: "a part of the path is not a directory", EROFS: "read-only file system",
  EMFILE: "too many open files", ENAMETOOLONG: "name too long", ELOOP: "too many symbolic links",
};

/** An error the system gave (ENOENT, ENOSPC, …), as opposed to ours or a parser's. */
export const isSystemError = (err: unknown) => /^E[A-Z0-9]+$/.test(String((err as { code?: unknown })?.code ?? ""));
export const isNoSpace = (err: unknown) => ["ENOSPC", "EDQUOT"].includes(String((err as { code?: unknown })?.code ?? ""));

/** What a missing path means where it was looked for: something named, a blob, or neither (a write). */
type Missing = "not_found" | "missing_blob" | "error";

/**
 * A system error (ENOENT, EACCES, …) as one of ours, at the edge where it arose: the
 * message names what was being read or written (`what`), never the raw `ENOENT:` text.
 * A missing thing is `not found`, or `missing blob` when it is a blob (`missing`); a full
 * disk is `no space`; our own errors pass through unchanged.
 */
export function systemError(err: unknown, what: string, missing: Missing = "not_found"): StrataError {
  if (err instanceof StrataError) return err;
  const code = (err as { code?: string }).code ?? "";
  const reason = systemReasons[code] ?? ((err as Error).message ?? String(err)).replace(/^E[A-Z]+: /, "").split("\n")[0];
  const message = `${what}: ${reason}`;
  if (code === "ENOENT" && missing !== "error") return new StrataError(missing, message);
  if (code === "ENOSPC" || code === "EDQUOT") return noSpace(message);
  return failed(message);
}

/** A stream whose read errors become ours, naming what was being read. */
export async function* guarded(source: AsyncIterable<Uint8Array>, what: string, missing?: Missing): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw systemError(err, what, missing);
  }
}

/** The code of any thrown value: ours, or `error` for everything else. */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof StrataError ? err.code : "error";
}
