/**
 * Every command as one operation: its input schema, its HTTP route, and the service
 * call behind it. The CLI (direct or through `--addr`) and the server are both built
 * from this table, so the client calls exactly the routes the server serves, the same
 * input is validated the same way wherever it arrives, and each caller knows the type
 * of what each operation gives back (`OutputOf`, `ItemOf`).
 */
import type * as v from "valibot";
import * as s from "./schemas.ts";
import type { Service } from "./service.ts";

export interface Operation<S extends v.GenericSchema = v.GenericSchema, R = unknown> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** `:name` segments come from the input field of that name. */
  path: string;
  schema: S;
  /** NDJSON: one object a line, as they come. */
  stream?: true;
  /** The request body is a blob (its other fields go in the query). */
  blobBody?: true;
  /** Long work: a daemon runs it in a child process (server/offload.ts). */
  offload?: true;
  summary: string;
  run(svc: Service, input: v.InferOutput<S>, extra: Extra): R;
}

/** What an operation may get besides its input: a blob body, a progress callback. */
export interface Extra {
  body?: AsyncIterable<Uint8Array>;
  progress?: (bytes: number) => void;
}

/** Keeps each operation's schema and result types (a plain object literal would widen them). */
const op = <S extends v.GenericSchema, R>(o: Operation<S, R>) => o;

export const operations = {
  version: op({ method: "GET", path: "/v1/version", schema: s.empty, summary: "strata's version and runtime", run: (svc) => svc.version() }),
  create: op({ method: "POST", path: "/v1/snapshots", schema: s.newInput, summary: "create a held mutable snapshot", run: (svc, i) => svc.create(i) }),
  info: op({ method: "GET", path: "/v1/records/:ref", schema: s.refInput, summary: "one record, all fields", run: (svc, i) => svc.info(i) }),
  path: op({ method: "GET", path: "/v1/records/:ref/path", schema: s.pathInput, summary: "a directory for a record", run: (svc, i) => svc.path(i) }),
  commit: op({ method: "POST", path: "/v1/records/:id/commit", schema: s.commitInput, summary: "commit a mutable record", run: (svc, i) => svc.commit(i) }),
  release: op({ method: "POST", path: "/v1/records/:id/release", schema: s.idInput, summary: "end the hold on a record", run: (svc, i) => svc.release(i) }),
  reopen: op({ method: "POST", path: "/v1/records/:id/reopen", schema: s.reopenInput, summary: "make a mutable record writable again", run: (svc, i) => svc.reopen(i) }),
  du: op({ method: "GET", path: "/v1/du", schema: s.duInput, summary: "disk usage", run: (svc, i) => svc.du(i) }),
  prune: op({ method: "POST", path: "/v1/prune", schema: s.pruneInput, stream: true, offload: true, summary: "remove unheld records (NDJSON)", run: (svc, i) => svc.prune(i) }),
  keyList: op({ method: "GET", path: "/v1/keys", schema: s.empty, summary: "list CI keys", run: (svc) => svc.keyList() }),
  keyGet: op({ method: "GET", path: "/v1/keys/:name", schema: s.keyGetInput, summary: "look up a key, falling back to restore prefixes", run: (svc, i) => svc.keyGet(i) }),
  keySet: op({ method: "PUT", path: "/v1/keys/:name", schema: s.keySetInput, summary: "point a key at a record", run: (svc, i) => svc.keySet(i) }),
  keyRemove: op({ method: "DELETE", path: "/v1/keys/:name", schema: s.keyNameInput, summary: "remove a key", run: (svc, i) => svc.keyRemove(i) }),
  leaseList: op({ method: "GET", path: "/v1/leases", schema: s.empty, summary: "list leases", run: (svc) => svc.leaseList() }),
  leaseCreate: op({ method: "POST", path: "/v1/leases", schema: s.leaseCreateInput, summary: "create a lease", run: (svc, i) => svc.leaseCreate(i) }),
  leaseAdd: op({ method: "POST", path: "/v1/leases/:id/records", schema: s.leaseAddInput, summary: "add a record or a blob to a lease", run: (svc, i) => svc.leaseAdd(i) }),
  leaseRemove: op({ method: "DELETE", path: "/v1/leases/:id", schema: s.leaseIdInput, summary: "remove a lease", run: (svc, i) => svc.leaseRemove(i) }),
  merge: op({ method: "POST", path: "/v1/merge", schema: s.mergeInput, summary: "a merged record of REFs, in order", run: (svc, i) => svc.merge(i) }),
  diff: op({ method: "POST", path: "/v1/diff", schema: s.diffInput, summary: "the changes from lower to upper as a record", run: (svc, i) => svc.diff(i) }),
  importLayer: op({
    method: "POST", path: "/v1/import", schema: s.importInput, blobBody: true,
    summary: "import a layer blob (the body) or an OCI layout (source=oci:DIR[:TAG])",
    run: (svc, i, x) => svc.importLayer(i, x),
  }),
  exportRecord: op({
    method: "POST", path: "/v1/records/:ref/export", schema: s.exportInput,
    summary: "blobs for a record's layer chain; with output, an OCI layout", run: (svc, i, x) => svc.exportRecord(i, x),
  }),
  push: op({
    method: "POST", path: "/v1/push", schema: s.pushInput, stream: true, offload: true,
    summary: "push a record's layer chain to a registry as an OCI image (NDJSON progress, then the result)",
    run: (svc, i) => svc.push(i),
  }),
  pull: op({
    method: "POST", path: "/v1/pull", schema: s.pullInput, stream: true, offload: true,
    summary: "pull an image from a registry as a chain of records (NDJSON progress, then the record)",
    run: (svc, i) => svc.pull(i),
  }),
  gc: op({ method: "POST", path: "/v1/gc", schema: s.empty, offload: true, summary: "remove what nothing refers to", run: (svc) => svc.gc() }),
  check: op({ method: "POST", path: "/v1/check", schema: s.checkInput, offload: true, summary: "consistency check", run: (svc, i) => svc.check(i) }),
};

export type Operations = typeof operations;
export type OperationName = keyof Operations;
/** What a user gives an operation, before validation turns it into the service's input. */
export type InputOf<N extends OperationName> = v.InferInput<Operations[N]["schema"]>;
/** What an operation's call returns: a promise, or a stream of items. */
export type ResultOf<N extends OperationName> = ReturnType<Operations[N]["run"]>;
/** What an operation gives back. */
export type OutputOf<N extends OperationName> = Awaited<ResultOf<N>>;
/** Operations that stream (their call gives items as they come), and the type of each item. */
export type StreamName = { [N in OperationName]: ResultOf<N> extends AsyncIterable<unknown> ? N : never }[OperationName];
export type ItemOf<N extends StreamName> = ResultOf<N> extends AsyncIterable<infer T> ? T : never;

/** Path parameters named in a route. */
export const pathParams = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);

/** An operation as routes, the client and OpenAPI see it: everything but the call. */
export type Route = Omit<Operation, "run">;
export const routes = operations as { [N in OperationName]: Route };
