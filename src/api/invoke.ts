/**
 * Calling an operation: in this process (`direct`) or through a running server
 * (`remote`, see client.ts). Both take the raw input a user gave, unvalidated.
 */
import { type Extra, type OperationName, operations } from "./operations.ts";
import type { Service } from "./service.ts";
import { validate } from "./validate.ts";

export interface Caller {
  call(name: OperationName, raw: { [field: string]: unknown }, extra?: Extra): Promise<unknown>;
  /** For streaming operations: each object as it comes. */
  stream(name: OperationName, raw: { [field: string]: unknown }): AsyncIterable<unknown>;
  close(): Promise<void>;
  /** Through a server: files the user names are sent, not opened there. */
  remote: boolean;
}

/** Drops undefined fields: absent and undefined mean the same on every path. */
export const defined = (raw: { [field: string]: unknown }) =>
  Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined));

export function direct(svc: Service): Caller {
  const run = (name: OperationName, raw: { [field: string]: unknown }, extra: Extra = {}) => {
    const o = operations[name];
    return o.run(svc, validate(o.schema, defined(raw)), extra);
  };
  return {
    call: async (name, raw, extra) => await run(name, raw, extra),
    stream: (name, raw) => run(name, raw) as AsyncIterable<unknown>,
    close: () => svc.close(),
    remote: false,
  };
}
