/**
 * Errors a user can cause carry one of SPEC §4's codes. The CLI maps the code to an
 * exit status and the server to an HTTP status, each in one place.
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
} as const;

export type ErrorCode = keyof typeof exitCodes;

export class StrataError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = "StrataError";
  }
}

export const notFound = (what: string) => new StrataError("not_found", `${what} not found`);
export const locked = (id: string) => new StrataError("locked", `record ${id} is in use`);
export const invalid = (message: string) => new StrataError("invalid", message);
export const usage = (message: string) => new StrataError("usage", message);

/** The code of any thrown value: ours, or `error` for everything else. */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof StrataError ? err.code : "error";
}
