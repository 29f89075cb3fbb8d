/** The one place an error becomes an HTTP status (SPEC §5) and back. */
import type { ErrorCode } from "../core/errors.ts";

export const statusOf: { [code in ErrorCode]: number } = {
  usage: 400,
  not_found: 404,
  key_not_found: 404,
  locked: 409,
  invalid: 422,
  missing_blob: 422,
  integrity: 422,
  error: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode | "unauthenticated"; message: string; issues?: string[] };
}

export const errorBody = (code: ErrorBody["error"]["code"], message: string, issues?: string[]): ErrorBody => ({
  error: issues ? { code, message, issues } : { code, message },
});
