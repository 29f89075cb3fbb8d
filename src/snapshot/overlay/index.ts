/**
 * The overlayfs snapshotter, after containerd's: a child is an upper directory over its
 * parent's layers, so preparing one costs a few directories whatever the parent holds,
 * and commit only marks it (and makes its mount read-only). See layout.ts for the
 * directories, mount.ts for the mount calls.
 *
 * Mount lifetime: a snapshot with lowers is mounted at its merged/ directory the first
 * time its tree is asked for (`mount`), and stays mounted beyond this process, as the
 * kernel keeps mounts, until `unmount`, `remove` or `drop`; recovery unmounts what no
 * record explains. A base is never mounted: its fs/ is its tree. Every mount and unmount
 * is under ROOT/snapshots, checked against ROOT's real path: nothing outside is touched.
 *
 * A snapshot another one lies on is kept when asked to go, out of the list, and goes
 * with the last snapshot on it (dependents.ts).
 *
 * Chains deeper than overlayfs stacks (`maxLayers`, the kernel's 500) are cut when a
 * child is prepared: the parent's whole tree is hardlinked into its flat/ once
 * (flatten.ts), and the child, and every later child of that parent, lies on it alone.
 */
import { rm } from "node:fs/promises";
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { failed, StrataError } from "../../core/errors.ts";
import type { Processes } from "../../core/ports/host.ts";
import type { Snapshotter } from "../../core/ports/snapshots.ts";
import { hasOpaque } from "../../platform/overlay.ts";
import type { Sys } from "../../platform/sys.ts";
import { filesystem, snapshotsDir } from "../native.ts";
import { Trash } from "../trash.ts";
import { inodes, treeUsage } from "../usage.ts";
import { Dependents } from "./dependents.ts";
import { flatten, ownDirs } from "./flatten.ts";
import { Layout, type Lowers } from "./layout.ts";
import { isMountPoint, mountOverlay, remountReadOnly, unmountAll, withLock } from "./mount.ts";
import { mountsUnder } from "./mountinfo.ts";

export interface OverlayOptions {
  /** Most layers one overlay stacks: the kernel's limit, lower in tests of flattening. */
  maxLayers?: number;
}

/** How long a commit retries a remount the kernel calls busy (10 + 20 + … + 160 ms). */
const REMOUNT_PATIENCE_MS = 160;

/** overlayfs' own limit on lower layers (OVL_MAX_STACK). */
export const KERNEL_MAX_LAYERS = 500;

export function overlaySnapshotter(root: string, sys: Sys, processes: Processes, opts: OverlayOptions = {}): Snapshotter {
  const max = opts.maxLayers ?? KERNEL_MAX_LAYERS;
  const real = realpathSync(root);
  const at = new Layout(realpathSync(snapshotsDir(root, sys)));
  const trash = new Trash(real, processes);
  const deps = new Dependents(at);
  const lockFile = `${real}/mounts.lock`;

  const failure = (key: string, err: unknown) => {
    const code = (err as { code?: string }).code;
    if (code === "EPERM" || code === "EACCES") return failed(`cannot mount snapshot ${key}: overlayfs needs root (CAP_SYS_ADMIN)`);
    return failed(`cannot mount snapshot ${key}: ${(err as Error).message} (the kernel's reason is in dmesg)`);
  };

  /** Mounts key's tree at merged/ unless it is: writable while active, read-only once committed. */
  const mountKey = (key: string) => {
    const target = at.merged(key);
    if (isMountPoint(target)) return;
    const lowers = at.lowers(key)!;
    withLock(sys, lockFile, () => {
      if (isMountPoint(target)) return; // another process was first
      const spec = at.committed(key)
        ? { base: at.dir, lowers: [`${key}/fs`, ...lowers.layers] }
        : { base: at.dir, lowers: lowers.layers, upper: `${key}/fs`, work: `${key}/work` };
      try {
        // Short links, when a mount needs them, go where a sweep finds them after a crash.
        mountOverlay(sys, target, spec, `${trash.dir}/${processes.self}~links~${crypto.randomUUID()}`);
      } catch (err) {
        throw failure(key, err);
      }
    });
  };

  const unmountKey = (key: string) => {
    const target = at.merged(key);
    if (target.startsWith(`${real}/`) && isMountPoint(target)) withLock(sys, lockFile, () => unmountAll(sys, target));
  };

  /** Makes key's directories, `lowers` first, so a half-made one is never taken for a base. */
  const make = (key: string, lowers: Lowers) => {
    deps.add(Dependents.of(lowers), key);
    mkdirSync(at.key(key), { mode: 0o755 });
    at.setLowers(key, lowers);
    for (const d of [at.fs(key), at.work(key), at.merged(key)]) mkdirSync(d, { mode: 0o755 });
  };

  /** The layers for a child of `parent`, flattening parent's chain once it is too deep. */
  const chainFor = (parent: string) => {
    const layers = at.below(parent);
    if (layers.length + 1 <= max) return layers;
    // Made in the trash (a crash leaves it to the next sweep), then renamed into place.
    const tmp = `${trash.dir}/${processes.self}~flat~${crypto.randomUUID()}`;
    const view = at.lowers(parent);
    flatten(sys, [`${parent}/fs`, ...(view?.layers ?? [])].map((l) => `${at.dir}/${l}`), tmp);
    try {
      renameSync(tmp, at.flat(parent));
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process flattened it first
    }
    return at.below(parent);
  };

  const stackable = (key: string) => {
    const l = at.lowers(key);
    return !l?.stack && (!l || !hasOpaque(sys, at.fs(key)));
  };

  /**
   * Unmounts and renames a snapshot aside; the paths to delete (none for a snapshot kept
   * because another lies on it; with it, a retained parent nothing lies on any more).
   */
  const discard = (key: string): string[] => {
    unmountKey(key);
    if (deps.has(key)) {
      deps.retain(key);
      return [];
    }
    const parents = Dependents.of(at.lowers(key));
    const aside = trash.discard(at.key(key), key);
    return [...(aside ? [aside] : []), ...deps.release(parents, key).flatMap(discard)];
  };

  return {
    name: "overlayfs",
    async prepare(key, parent) {
      if (parent === undefined) {
        mkdirSync(at.key(key), { mode: 0o755 });
        mkdirSync(at.fs(key), { mode: 0o755 });
        return;
      }
      make(key, { parent, layers: chainFor(parent) });
    },
    async commit(key) {
      if (at.committed(key)) return;
      // The mount goes read-only first: marked committed, it is never made writable again.
      const target = at.merged(key);
      // EBUSY also comes from a write in progress there at that instant (a timestamp being
      // set, an atime update), which ends at once: only one that lasts is an open file.
      for (let wait = 10; isMountPoint(target); wait *= 2) {
        try {
          remountReadOnly(sys, target);
          break;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== "EBUSY") throw err;
          if (wait > REMOUNT_PATIENCE_MS) {
            throw new StrataError("locked", `snapshot ${key} has files open for writing; close them to commit it`);
          }
          await new Promise((r) => setTimeout(r, wait));
        }
      }
      at.setCommitted(key);
    },
    async mount(key) {
      if (!at.lowers(key)) return at.fs(key);
      mountKey(key);
      return at.merged(key);
    },
    async unmount(key) {
      unmountKey(key);
    },
    mounted() {
      const keys = new Set<string>();
      for (const p of mountsUnder(at.dir)) {
        const m = p.slice(at.dir.length + 1).match(/^([^/]+)\/merged$/);
        if (m) keys.add(m[1]!);
      }
      return [...keys];
    },
    async remove(key) {
      for (const aside of discard(key)) rmSync(aside, { recursive: true, force: true });
    },
    drop(key) {
      return Promise.all(discard(key).map((aside) => rm(aside, { recursive: true, force: true }))).then(() => {});
    },
    exists: (key) => existsSync(at.key(key)),
    list: () => readdirSync(at.dir).filter((key) => !deps.retained(key)),
    version() {
      const st = statSync(at.dir, { bigint: true });
      return `${st.mtimeNs}:${st.nlink}`;
    },
    async usage(key, shared = []) {
      // A snapshot's own data is its upper: what it shares with its layers is theirs.
      const seen = new Set<string>();
      for (const other of shared) if (existsSync(at.fs(other))) inodes(at.fs(other), seen);
      return treeUsage(at.fs(key), seen) + (existsSync(at.flat(key)) ? ownDirs(at.flat(key)) : 0);
    },
    async empty(key) {
      return readdirSync(await this.mount(key)).length === 0;
    },
    async sweep(opts = {}) {
      // A mount left under the trash (by a crash between unmount and rename) goes first:
      // deleting through it would delete the layers it shows. An empty trash has none,
      // and every start-up sweeps: the mount table is read only when there is something.
      if (readdirSync(trash.dir).length) {
        for (const p of mountsUnder(trash.dir)) withLock(sys, lockFile, () => unmountAll(sys, p));
      }
      return trash.sweep(trash.mine(), opts.measure);
    },
    filesystem: () => filesystem(at.dir),
    changes(key, parent) {
      const l = at.lowers(key);
      if (l?.stack || l?.parent !== parent) return undefined;
      return at.fs(key);
    },
    async stack(key, layers) {
      // A layer with an opaque directory would hide what earlier layers put there, where
      // applying its changes (per-entry deletions, as its exported layer has them) keeps
      // it: the stack stops below it, and the caller applies the rest.
      let stacked = 0;
      const fits = Math.min(layers.length, max - 1);
      while (stacked < fits && stackable(layers[stacked]!)) stacked++;
      if (stacked) make(key, { stack: true, layers: layers.slice(0, stacked).reverse().map((k) => `${k}/fs`) });
      return { stacked, upper: at.fs(key) };
    },
  };
}
