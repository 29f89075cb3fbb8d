/** The one place an error code becomes an HTTP status (SPEC §5), and the errors only HTTP has. */
import type { ErrorCode } from "../core/errors.ts";

export const statusOf: { [code in ErrorCode]: number } = {
  usage: 400,
  not_found: 404,
  key_not_found: 404,
  locked: 409,
  invalid: 422,
  missing_blob: 422,
  integrity: 422,
  no_space: 507,
  remote_refused: 502,
  error: 500,
};

/** An error only HTTP has: its status and wire code, beside SPEC §4's codes. */
export class HttpError extends Error {
  constructor(readonly status: 413 | 416, readonly code: "too_large" | "bad_range", message: string) {
    super(message);
  }
}
