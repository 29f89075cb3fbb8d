/**
 * Calling an operation: in this process (`direct`) or through a running server
 * (`remote`, see client.ts). Both take the raw input a user gave, unvalidated, and give
 * back what the operation's `run` gives, typed from the operation table.
 */
import {
  type Extra, type InputOf, type ItemOf, type OperationName, operations, type OutputOf, type ResultOf, type StreamName,
} from "./operations.ts";
import type { Service } from "./service.ts";
import { validate } from "./validate.ts";

export interface Caller {
  call<N extends OperationName>(name: N, input: InputOf<N>, extra?: Extra): Promise<OutputOf<N>>;
  /** For streaming operations: each object as it comes. */
  stream<N extends StreamName>(name: N, input: InputOf<N>): AsyncIterable<ItemOf<N>>;
  close(): Promise<void>;
  /** Through a server: files the user names are sent, not opened there. */
  remote: boolean;
}

/** Drops undefined fields: absent and undefined mean the same on every path. */
export const defined = (raw: object) => Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined));

/** Raw input checked by the operation's schema: the service's input, or a usage error. */
export const check = <N extends OperationName>(name: N, raw: object): Valid<N> => validate(operations[name].schema, defined(raw)) as Valid<N>;

/** An operation's input once its schema accepted it (a brand: it only comes from `check`). */
export type Valid<N extends OperationName> = { readonly valid: N };

/**
 * Runs an operation on checked input. The table types each operation; here the name is
 * known only at run time, so the input is handed on as the schema made it (the one place
 * that trusts the table's pairing of schema and call).
 */
export function run<N extends OperationName>(svc: Service, name: N, input: Valid<N>, extra: Extra = {}): ResultOf<N> {
  const call = operations[name].run as (svc: Service, input: unknown, extra: Extra) => ResultOf<N>;
  return call(svc, input, extra);
}

async function callDirect<N extends OperationName>(svc: Service, name: N, raw: object, extra?: Extra): Promise<OutputOf<N>> {
  return await run(svc, name, check(name, raw), extra);
}

function streamDirect<N extends StreamName>(svc: Service, name: N, raw: object): AsyncIterable<ItemOf<N>> {
  return run(svc, name, check(name, raw)) as AsyncIterable<ItemOf<N>>;
}

export function direct(svc: Service): Caller {
  return {
    call: (name, raw, extra) => callDirect(svc, name, raw, extra),
    stream: (name, raw) => streamDirect(svc, name, raw),
    close: () => svc.close(),
    remote: false,
  };
}
