/**
 * Where an overlay snapshot keeps what, under `ROOT/snapshots/<key>/`:
 *
 *   fs/         its own data: a base's whole tree; a child's or a stack's upper directory
 *   work/       overlayfs' work directory (children and stacks)
 *   merged/     the mount point handed out (children and stacks); a base hands out fs/
 *   lowers      (children and stacks) what it lies on: `{"parent": KEY, "layers": [...]}`
 *               or `{"stack": true, "layers": [...]}`, layers relative to ROOT/snapshots,
 *               top first, resolved once at prepare so a mount reads one small file
 *   committed   present once committed: mounted read-only from then on
 *   flat/       a child's whole tree as one layer, made once when the chain under a new
 *               child would be deeper than overlayfs stacks (see flatten.ts)
 *
 * A path handed out never moves: a base is never mounted and a child is always mounted
 * at merged/, before and after commit.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export interface Lowers {
  /** The snapshot this one was prepared on (a child), or none (a stack). */
  parent?: string;
  stack?: true;
  /** Layer directories relative to the snapshots directory, top first. */
  layers: string[];
}

export class Layout {
  constructor(readonly dir: string) {}

  key = (key: string) => `${this.dir}/${key}`;
  fs = (key: string) => `${this.dir}/${key}/fs`;
  work = (key: string) => `${this.dir}/${key}/work`;
  merged = (key: string) => `${this.dir}/${key}/merged`;
  flat = (key: string) => `${this.dir}/${key}/flat`;

  /** What key lies on; undefined for a base. */
  lowers(key: string): Lowers | undefined {
    try {
      return JSON.parse(readFileSync(`${this.key(key)}/lowers`, "utf8"));
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Written whole or not at all, before the snapshot's directories are made. */
  setLowers(key: string, l: Lowers): void {
    const tmp = `${this.key(key)}/lowers.tmp`;
    writeFileSync(tmp, JSON.stringify(l));
    renameSync(tmp, `${this.key(key)}/lowers`);
  }

  committed = (key: string) => existsSync(`${this.key(key)}/committed`);
  setCommitted = (key: string) => writeFileSync(`${this.key(key)}/committed`, "");

  /** The layers a child of `key` lies on, top first: key's own data over its lowers, or its flat tree. */
  below(key: string): string[] {
    if (existsSync(this.flat(key))) return [`${key}/flat`];
    return [`${key}/fs`, ...(this.lowers(key)?.layers ?? [])];
  }
}
