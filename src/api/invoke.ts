/**
 * Calling an operation: in this process (`direct`) or through a running server
 * (`remote`, see client.ts). Both take the raw input a user gave, unvalidated.
 */
import { type OperationName, operations } from "./operations.ts";
import type { Service } from "./service.ts";
import { validate } from "./validate.ts";

export interface Caller {
  call(name: OperationName, raw: { [field: string]: unknown }): Promise<unknown>;
  /** For streaming operations: each object as it comes. */
  stream(name: OperationName, raw: { [field: string]: unknown }): AsyncIterable<unknown>;
  close(): Promise<void>;
}

/** Drops undefined fields: absent and undefined mean the same on every path. */
export const defined = (raw: { [field: string]: unknown }) =>
  Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined));

export function direct(svc: Service): Caller {
  const run = (name: OperationName, raw: { [field: string]: unknown }) => {
    const o = operations[name];
    return o.run(svc, validate(o.schema, defined(raw)));
  };
  return {
    call: async (name, raw) => await run(name, raw),
    stream: (name, raw) => run(name, raw) as AsyncIterable<unknown>,
    close: () => svc.close(),
  };
}
