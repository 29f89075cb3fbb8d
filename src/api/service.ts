/**
 * The one service API under the CLI and the HTTP app. Inputs arrive validated (see
 * schemas.ts); outputs are the JSON documents of SPEC §4.
 */
import pkg from "../../package.json" with { type: "json" };
import type { Record } from "../core/record.ts";
import { type Deps, Refs } from "../core/refs.ts";
import { prune } from "../core/prune.ts";
import { describe, totals, type Totals, visible } from "../core/usage.ts";
import type {
  CommitInput, DuInput, IdInput, NewInput, PathInput, PruneInput, RefInput, ReopenInput,
} from "./schemas.ts";
import { resolve } from "../core/refs.ts";
import { usage } from "../core/errors.ts";

export interface PruneSummary {
  summary: { records: number; bytes: number };
}

export class Service {
  private refs: Refs;

  constructor(private d: Deps & { runtime: string; contentSize(): number }) {
    this.refs = new Refs(d);
  }

  version() {
    return { version: pkg.version, runtime: this.d.runtime };
  }

  async create(input: NewInput) {
    const row = await this.refs.create({
      parent: input.parent, description: input.description, type: input.type,
      retain: input.retain, holdMs: input.hold,
    });
    const parents = await this.d.store.read((tx) => tx.parents([row.id]));
    return { id: row.id, path: this.d.snapshots.path(row.snapshot!), mutable: true as const, parents: parents.get(row.id) ?? [] };
  }

  async path(input: PathInput) {
    const row = input.rw
      ? await this.refs.writable(input.ref, { holdMs: input.hold })
      : await this.refs.get(input.ref, { holdMs: input.hold });
    return { id: row.id, path: this.d.snapshots.path(row.snapshot!) };
  }

  async commit(input: CommitInput): Promise<Record> {
    return this.one(await this.refs.commit(input.id, { holdMs: input.hold, key: input.key }));
  }

  release(input: IdInput) {
    return this.refs.release(input.id);
  }

  async reopen(input: ReopenInput) {
    const row = await this.refs.reopen(input.id, { holdMs: input.hold });
    return { id: row.id, path: this.d.snapshots.path(row.snapshot!), mutable: true as const };
  }

  async info(input: RefInput): Promise<Record> {
    return this.one(await this.d.store.read((tx) => resolve(tx, input.ref)));
  }

  async du(input: DuInput): Promise<{ records: Record[]; totals: Totals }> {
    if (input.filter?.length) throw usage("du --filter is not supported yet");
    const rows = visible(await this.d.store.read((tx) => tx.allReady()));
    const records = (await describe(this.d, rows)).sort((a, b) => b.size - a.size);
    return { records, totals: totals(records, this.d.store.size(), this.d.contentSize()) };
  }

  async *prune(input: PruneInput): AsyncGenerator<Record | PruneSummary> {
    if (input.filter?.length) throw usage("prune --filter is not supported yet");
    let records = 0, bytes = 0;
    for await (const r of prune(this.d, { all: input.all, dryRun: input.dryRun })) {
      records++;
      bytes += r.size;
      yield r;
    }
    yield { summary: { records, bytes } };
  }

  private async one(row: Parameters<typeof describe>[1][number]): Promise<Record> {
    return (await describe(this.d, [row]))[0]!;
  }

  close() {
    return this.d.store.close();
  }
}
