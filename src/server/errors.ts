/** The one place an error code becomes an HTTP status (SPEC §5). */
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
