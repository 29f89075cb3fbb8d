/**
 * The changes from a lower tree to an upper tree as tar entries, for export: a walk of
 * both trees in sorted order. An entry whose type, mode, owner, size, mtime, link target,
 * device and xattrs all match is unchanged and skipped; one gone from upper becomes a
 * `.wh.` whiteout; hardlinks inside the layer become link entries.
 */
import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from "node:fs";
import type { Sys } from "../platform/sys.ts";
import type { EntryType, TarEntry } from "./tar/entry.ts";

export interface Change {
  entry: TarEntry;
  /** For files: where the data comes from. */
  source?: string;
}

const S_IFMT = 0o170000;
const types: { [bits: number]: EntryType } = {
  0o100000: "file", 0o040000: "dir", 0o120000: "symlink", 0o020000: "char", 0o060000: "block", 0o010000: "fifo",
};

export const stat = (p: string) => {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return undefined;
  }
};

function xattrs(sys: Sys, path: string, symlink: boolean, hide?: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (symlink) return out;
  let names: string[] = [];
  try {
    names = sys.listxattr(path);
  } catch {
    return out;
  }
  for (const n of names.sort()) if (!hide || !n.startsWith(hide)) out.set(n, sys.getxattr(path, n));
  return out;
}

/** Unchanged for linking: the same inode, or the same type, mode, owner, size and mtime. */
function sameFile(a: string, b: string): boolean {
  let sb;
  try {
    sb = lstatSync(b);
  } catch {
    return false;
  }
  const sa = lstatSync(a);
  if (sa.ino === sb.ino && sa.dev === sb.dev) return true;
  return sa.mode === sb.mode && sa.uid === sb.uid && sa.gid === sb.gid && sa.size === sb.size && sa.mtimeMs === sb.mtimeMs;
}

/** A regular file known by name only (see `linkOnly`). */
const bare: TarEntry = { path: "", type: "file", mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: "", devmajor: 0, devminor: 0, xattrs: new Map() };

const sameBytes = (a: Map<string, Uint8Array>, b: Map<string, Uint8Array>) =>
  a.size === b.size && [...a].every(([k, v]) => {
    const w = b.get(k);
    return w !== undefined && w.length === v.length && w.every((x, i) => x === v[i]);
  });

/** A node as a tar entry (undefined for a socket); `hide` leaves out xattrs with that prefix. */
export function entryOf(sys: Sys, path: string, rel: string, st: BigIntStats, fileXattrs = true, hide?: string): TarEntry | undefined {
  const type = types[Number(st.mode) & S_IFMT];
  if (!type) return undefined; // sockets do not go in layers
  const device = type === "char" || type === "block";
  const rdev = device ? st.rdev : 0n;
  return {
    path: type === "dir" ? `${rel}/` : rel,
    type,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === "file" ? Number(st.size) : 0,
    mtimeNs: sys.times(path, st)[1],
    linkname: type === "symlink" ? readlinkSync(path) : "",
    devmajor: device ? Number((rdev >> 8n) & 0xfffn) | Number((rdev >> 32n) & ~0xfffn) : 0,
    devminor: device ? Number(rdev & 0xffn) | Number((rdev >> 12n) & ~0xffn) : 0,
    xattrs: type === "dir" || fileXattrs ? xattrs(sys, path, type === "symlink", hide) : new Map(),
  };
}

export function same(a: TarEntry, b: TarEntry): boolean {
  return a.type === b.type && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.size === b.size &&
    a.mtimeNs === b.mtimeNs && a.linkname === b.linkname && a.devmajor === b.devmajor &&
    a.devminor === b.devminor && sameBytes(a.xattrs, b.xattrs);
}

/** Byte order of names (UTF-8), so archives are the same on every machine. */
export const sorted = (names: string[]) => {
  // Plain ASCII names, the usual case, sort the same by UTF-16 code units.
  if (names.every((n) => /^[\x00-\x7f]*$/.test(n))) return names.sort();
  return names.map((n) => [Buffer.from(n), n] as const).sort((a, b) => Buffer.compare(a[0], b[0])).map((x) => x[1]);
};

/**
 * `fileXattrs: false` is for hardlinking (merges): a link shares the inode and its xattrs,
 * so only directories' are read. It also means a change of xattrs alone on a file is
 * not seen, which a hardlink does not need. `linkOnly` goes further: new regular files
 * come with their path only (no stat), as hardlinking needs nothing else.
 */
export interface ChangeOptions {
  fileXattrs?: boolean;
  linkOnly?: boolean;
  /** Top-level directories whose entries are yielded but whose contents are left to a helper. */
  skip?: Set<string>;
  /** Instead of the whole tree: the contents of these directories, each `fresh` when it replaced a non-directory. */
  under?: [rel: string, fresh: boolean][];
  /** Hardlinks seen so far (inode → first path), shared with the caller's own walk. */
  links?: Map<string, string>;
  /** Xattrs with this prefix are not content (overlayfs' own, in an upper directory). */
  hide?: string;
}

export function* changes(
  sys: Sys,
  lower: string | undefined,
  upper: string,
  opts: ChangeOptions = {},
): Generator<Change> {
  const fx = opts.fileXattrs ?? true;
  const links = opts.links ?? new Map<string, string>();
  function* walk(rel: string): Generator<Change> {
    const up = rel ? `${upper}/${rel}` : upper;
    const low = lower === undefined ? undefined : rel ? `${lower}/${rel}` : lower;
    const upEntries = readdirSync(up, { withFileTypes: true });
    const upNames = new Set(upEntries.map((d) => d.name));
    const files = new Set(upEntries.filter((d) => d.isFile()).map((d) => d.name));
    const lowNames = low === undefined ? [] : (() => {
      try {
        return readdirSync(low);
      } catch {
        return [];
      }
    })();
    // Archives need a stable order; linking (merges) takes the names as they come.
    const all = lowNames.length ? [...new Set([...upNames, ...lowNames])] : [...upNames];
    for (const name of opts.linkOnly ? all : sorted(all)) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (!upNames.has(name)) {
        const slash = childRel.lastIndexOf("/");
        const wh = slash < 0 ? `.wh.${name}` : `${childRel.slice(0, slash)}/.wh.${name}`;
        yield { entry: { path: wh, type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: "", devmajor: 0, devminor: 0, xattrs: new Map() } };
        continue;
      }
      const upPath = `${up}/${name}`;
      if (opts.linkOnly && files.has(name)) {
        // Linking a file needs only its name: the link brings the inode, its metadata and
        // its other names along. Against a lower tree, plain stats say whether it changed.
        if (low !== undefined && sameFile(upPath, `${low}/${name}`)) continue;
        yield { entry: { ...bare, path: childRel }, source: upPath };
        continue;
      }
      const ust = lstatSync(upPath, { bigint: true });
      const e = entryOf(sys, upPath, childRel, ust, fx, opts.hide);
      if (!e) continue;
      const lst = low === undefined ? undefined : stat(`${low}/${name}`);
      const le = lst ? entryOf(sys, `${low}/${name}`, childRel, lst, fx) : undefined;
      // A directory replaced by something else: the new entry hides it whole.
      const lowerIsDir = le?.type === "dir";
      const unchanged = le !== undefined && same(e, le) && (e.type !== "file" || sameContent(upPath, `${low}/${name}`, ust, lst!));
      if (!unchanged) {
        if (e.type === "file" && ust.nlink > 1n) {
          const inode = `${ust.dev}:${ust.ino}`;
          const first = links.get(inode);
          if (first) {
            yield { entry: { ...e, type: "hardlink", size: 0, linkname: first, xattrs: new Map() } };
            continue;
          }
          links.set(inode, childRel);
        }
        yield { entry: e, source: e.type === "file" ? upPath : undefined };
      }
      if (e.type === "dir") {
        if (!rel && opts.skip?.has(name)) continue;
        // Below a directory that replaced a non-directory, everything is new.
        if (le && !lowerIsDir) yield* walkNew(childRel);
        else yield* walk(childRel);
      }
    }
  }
  function* walkNew(rel: string): Generator<Change> {
    const saved = lower;
    lower = undefined;
    try {
      yield* walk(rel);
    } finally {
      lower = saved;
    }
  }
  if (!opts.under) return yield* walk("");
  for (const [rel, fresh] of opts.under) yield* fresh ? walkNew(rel) : walk(rel);
}

/** A helper thread computing `changes` for part of a tree (for linking only). */
export interface Walker {
  walk(lower: string | undefined, upper: string, under: [string, boolean][]): Promise<Change[]>;
  close(): void;
}

/**
 * Every other top-level directory of `upper`, for a helper to walk while this thread
 * walks the rest; none when there are too few to be worth a thread, or no lower tree
 * (then the walk only reads directories: a merge of base layers measured slower with
 * a walker than without). `fresh` marks a directory that replaced a non-directory.
 */
export function splitTop(lower: string | undefined, upper: string): [string, boolean][] {
  if (lower === undefined) return [];
  const dirs = readdirSync(upper, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  if (dirs.length < 8) return [];
  return dirs.filter((_, i) => i % 2 === 1).map((name) => {
    const low = lower === undefined ? undefined : stat(`${lower}/${name}`);
    return [name, low !== undefined && !low.isDirectory()];
  });
}

/** Same metadata; the same inode (a merge's hardlink) is certainly the same content. */
export function sameContent(_a: string, _b: string, sa: BigIntStats, sb: BigIntStats): boolean {
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  // Size and nanosecond mtime match: treated as unchanged, as containerd's walk does.
  return sa.size === sb.size && sa.mtimeNs === sb.mtimeNs;
}
