/**
 * The one service API under the CLI and the HTTP app. Inputs arrive validated (see
 * schemas.ts); outputs are the JSON documents of SPEC §4.
 */
import pkg from "../../package.json" with { type: "json" };
import { check, gc } from "../core/check.ts";
import { parseFilters } from "../core/filter.ts";
import { getKey, listKeys, removeKey, setKey } from "../core/keys.ts";
import { addToLease, createLease, listLeases, removeLease } from "../core/leases.ts";
import type { Policy } from "../core/plan.ts";
import { prune } from "../core/prune.ts";
import { recover } from "../core/recovery.ts";
import type { Record, RecordRow } from "../core/record.ts";
import { Refs, resolve } from "../core/refs.ts";
import { parseSize } from "../core/units.ts";
import { describe, describeAll, describeId, totals, type Totals } from "../core/usage.ts";
import { invalid, notFound, usage } from "../core/errors.ts";
import { writing } from "../core/space.ts";
import { exportRecord } from "../core/export.ts";
import { diff, merge } from "../core/graph.ts";
import { importBlob, materialize } from "../core/layers.ts";
import { ociLayout } from "../transfer/oci-layout.ts";
import type { Layer } from "../transfer/source.ts";
import { sourceOf } from "../transfer/sources.ts";
import type { Extra } from "./operations.ts";
import { type RemoteDeps, RemoteOps } from "./remote.ts";
import { RecordCache } from "../core/cache.ts";
import type * as s from "./schemas.ts";
import type { Choice } from "../snapshot/choose.ts";

export interface PruneSummary {
  summary: { records: number; bytes: number };
}

export type ServiceDeps = RemoteDeps & {
  runtime: string;
  /** The root's snapshotter, and why it is native where auto could not use overlayfs. */
  snapshotter: Choice;
  contentSize(): number;
  /** Long-lived processes keep described records between changes to the store. */
  cacheRecords?: boolean;
};

export class Service {
  private refs: Refs;
  private cache?: RecordCache;
  private remote: RemoteOps;

  constructor(private d: ServiceDeps) {
    this.refs = new Refs(d);
    this.remote = new RemoteOps(d, (row) => this.one(row));
    if (d.cacheRecords) this.cache = new RecordCache();
  }

  version() {
    return { version: pkg.version, runtime: this.d.runtime, snapshotter: this.d.snapshotter };
  }

  async create(input: s.NewInput) {
    if (input.parent) await this.extracted(input.parent);
    const row = await this.refs.create({
      parent: input.parent, description: input.description, type: input.type,
      retain: input.retain, holdMs: input.hold,
    });
    const parents = await this.d.store.read((tx) => tx.links.parents([row.id]));
    return { id: row.id, path: await this.dir(row), mutable: true as const, parents: parents.get(row.id) ?? [] };
  }

  async path(input: s.PathInput) {
    if (input.rw) {
      const row = await this.refs.writable(input.ref, { holdMs: input.hold });
      return { id: row.id, path: await this.dir(row) };
    }
    // A lazy record, merge or diff gets its directory made on the way out.
    const row = await this.refs.get(input.ref, { holdMs: input.hold }, (r) => materialize(this.d, r));
    return { id: row.id, path: await this.dir(row) };
  }

  async commit(input: s.CommitInput): Promise<Record> {
    return this.one(await this.refs.commit(input.id, { holdMs: input.hold, key: input.key }));
  }

  release(input: s.IdInput) {
    return this.refs.release(input.id);
  }

  async reopen(input: s.ReopenInput) {
    const row = await this.refs.reopen(input.id, { holdMs: input.hold });
    return { id: row.id, path: await this.dir(row), mutable: true as const };
  }

  /** The record, and the root's snapshotter (SPEC §7: info shows it). */
  async info(input: s.RefInput): Promise<Record & { snapshotter: Choice }> {
    const id = input.ref.startsWith("key:") ? (await this.d.store.read((tx) => resolve(tx, input.ref))).id : input.ref;
    const r = await describeId(this.d, id, this.cache);
    if (!r) throw notFound(`record ${input.ref}`);
    return { ...r, snapshotter: this.d.snapshotter };
  }

  async du(input: s.DuInput): Promise<{ records: Record[]; totals: Totals; snapshotter: Choice }> {
    const keep = parseFilters(input.filter);
    const now = this.d.clock.now();
    const records = (await describeAll(this.d)).filter((r) => keep(r, now)).sort((a, b) => b.size - a.size);
    return { records, totals: totals(records, this.d.store.size(), this.d.contentSize()), snapshotter: this.d.snapshotter };
  }

  async *prune(input: s.PruneInput): AsyncGenerator<Record | PruneSummary> {
    const fsSize = () => this.d.snapshots.filesystem().size;
    const bytes = (text?: string) => (text === undefined ? undefined : parseSize(text, fsSize()));
    const policy: Policy = {
      all: input.all,
      filter: input.filter?.length ? parseFilters(input.filter) : undefined,
      keepDurationMs: input.keepDuration,
      maxUsedSpace: bytes(input.maxUsedSpace),
      minFreeSpace: bytes(input.minFreeSpace),
      reservedSpace: bytes(input.reservedSpace),
    };
    let count = 0, freed = 0;
    const free = () => this.d.snapshots.filesystem().free;
    for await (const r of prune(this.d, { ...policy, dryRun: input.dryRun, free })) {
      if ("blobBytes" in r) {
        freed += r.blobBytes;
        continue;
      }
      count++;
      freed += r.size;
      yield r;
    }
    yield { summary: { records: count, bytes: freed } };
  }

  keySet(input: s.KeySetInput) {
    return setKey(this.d, input.name, input.ref);
  }
  keyGet(input: s.KeyGetInput) {
    return getKey(this.d, input.name, input.restorePrefix);
  }
  keyList() {
    return listKeys(this.d);
  }
  keyRemove(input: s.KeyNameInput) {
    return removeKey(this.d, input.name);
  }

  leaseCreate(input: s.LeaseCreateInput) {
    return createLease(this.d, { id: input.id, expiresMs: input.expires });
  }
  leaseAdd(input: s.LeaseAddInput) {
    return addToLease(this.d, input.id, input.ref);
  }
  leaseList() {
    return listLeases(this.d);
  }
  leaseRemove(input: s.LeaseIdInput) {
    return removeLease(this.d, input.id);
  }

  /** A layer blob (a file, stdin, a request body) or every layer of an OCI layout image, as a chain. */
  async importLayer(input: s.ImportInput, extra: Extra = {}): Promise<Record> {
    if (!extra.body && !input.source) throw usage("import needs a file, - for stdin, or oci:DIR[:TAG]");
    const layers: Layer[] = extra.body ? [{ open: () => extra.body!, rewindable: false }] : sourceOf(input.source!).layers(input.source!);
    if (!layers.length) throw invalid(`${input.source} has no layers`);
    let parent = input.parent;
    let row: RecordRow | undefined;
    for (const l of layers) {
      // A source's media type wins over the flag's (a layout's manifest knows best).
      row = await importBlob(this.d, {
        ...l, parent, mediaType: l.mediaType ?? input.mediaType, lazy: input.lazy, description: input.description, progress: extra.progress,
      });
      parent = row.id;
    }
    return this.one(row!);
  }

  async merge(input: s.MergeInput): Promise<Record> {
    return this.one(await merge(this.d, input.refs));
  }

  async diff(input: s.DiffInput): Promise<Record> {
    return this.one(await diff(this.d, input.lower, input.upper));
  }

  async exportRecord(input: s.ExportInput, extra: Extra = {}) {
    if (input.tag && !input.output) throw usage("--tag goes with --output");
    const r = await exportRecord(this.d, input.ref, input.compression ?? "gzip", extra.progress);
    if (!input.output) return r;
    const manifest = await ociLayout.write(input.output, r.layers, this.d.content, { tag: input.tag });
    return { ...r, manifest };
  }

  /**
   * Stores a blob a client sends, checked against its digest (and its size, when the
   * client says it) while it streams: a mismatch stores nothing. Without a lease naming
   * it, nothing refers to it and the next gc removes it.
   */
  async putBlob(digest: string, body: AsyncIterable<Uint8Array>, opts: { size?: number; lease?: string } = {}) {
    const { content, store, processes } = this.d;
    if (opts.lease !== undefined && !(await store.read((tx) => tx.leases.get(opts.lease!)))) throw notFound(`lease ${opts.lease}`);
    if (!content.has(digest)) {
      const ingest = content.ingest({ digest, size: opts.size });
      try {
        for await (const chunk of body) ingest.write(chunk);
        await ingest.commit();
      } catch (err) {
        ingest.abort();
        throw writing(this.d, err, `storing blob ${digest}`, opts.size);
      }
    }
    await store.write(async (tx) => {
      if (opts.lease !== undefined) await tx.leases.addBlob(opts.lease, digest);
      await tx.blobs.release([digest], processes.self);
    });
    return { digest, size: content.stat(digest)!.size };
  }

  /** A stored blob's size, for GET and HEAD; not found when absent. */
  blobSize(digest: string): number {
    const st = this.d.content.stat(digest);
    if (!st) throw notFound(`blob ${digest}`);
    return st.size;
  }

  /** Where a stored blob's bytes are, for a server to send them as they are. */
  blobFile(digest: string): string {
    this.blobSize(digest);
    return this.d.content.path(digest);
  }

  /** A record's chain as an OCI image in a registry (progress items, then the result). */
  push(input: s.PushInput) {
    return this.remote.push(input);
  }
  /** An image in a registry as a chain of records (progress items, then the record). */
  pull(input: s.PullInput) {
    return this.remote.pull(input);
  }

  gc() {
    return gc(this.d);
  }
  check(input: s.CheckInput) {
    return check(this.d, { repair: input.repair });
  }

  /** Ends holds of processes that died and holds that expired (a daemon does this now and then). */
  async reap() {
    await recover(this.d, { scan: false });
  }

  filesystem() {
    return this.d.snapshots.filesystem();
  }

  /** The status page's tables (core/status.ts), where the store keeps them. */
  status() {
    return this.d.store.status();
  }

  /** Records and cached bytes by state, for /metrics. */
  async gauges() {
    const stats = await this.d.store.read((tx) => tx.records.stats());
    const records: { [state: string]: number } = { mutable: 0, immutable: 0 };
    const bytes: { [state: string]: number } = { mutable: 0, immutable: 0, metadata: this.d.store.size() };
    for (const s of stats) {
      records[s.mutable ? "mutable" : "immutable"] = s.count;
      bytes[s.mutable ? "mutable" : "immutable"] = s.bytes;
    }
    return { records, bytes };
  }

  /** A lazy record is extracted before anything reads its directory. */
  private async extracted(ref: string) {
    const r = await this.d.store.read((tx) => resolve(tx, ref));
    if (r.lazy || (!r.mutable && !r.snapshot)) await materialize(this.d, r);
  }

  private dir(row: RecordRow) {
    return this.d.snapshots.mount(row.snapshot!);
  }

  private async one(row: RecordRow): Promise<Record> {
    return (await describeId(this.d, row.id)) ?? (await describe(this.d, [row]))[0]!;
  }

  close() {
    return this.d.store.close();
  }
}
