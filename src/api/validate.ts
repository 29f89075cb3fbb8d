/** The one place input meets its schema: a failure is a usage error with one line. */
import * as v from "valibot";
import { usage } from "../core/errors.ts";

export function validate<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const lines = result.issues.map((issue) => {
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw Object.assign(usage(lines[0]!), { issues: lines });
}
