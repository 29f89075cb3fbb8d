/**
 * Applies a layer's tar entries to a snapshot directory (SPEC §3.7): OCI whiteouts,
 * hardlinks, symlinks, devices and fifos, modes, owners (as root), xattrs, nanosecond
 * mtimes, directories' metadata last. A layer is hostile input; what each trick meets:
 *
 * - `/abs` names: contained (taken relative to the snapshot).
 * - `..` climbing above the snapshot, in names, hardlink targets or whiteouts: rejected.
 * - writes through symlinks (from this layer or below): contained; symlinks in parent
 *   components resolve as if the snapshot were `/`, and the last component is never
 *   followed: an existing symlink there is replaced, not written through.
 * - hardlinks: only to an existing non-directory inside the snapshot, else rejected.
 *
 * Into an overlayfs snapshot (`overlay`), the same rules hold over the tree as overlayfs
 * shows it: with `below`, entries go into a fresh upper directory and lookups see the
 * parent's tree through it (overlay/below.ts), deletions becoming whiteouts. There, two
 * more: overlayfs' own xattrs (`trusted.overlay.*`) in a layer are dropped, as they would
 * steer the kernel, and a 0/0 character device is refused, as overlayfs reads it as a
 * deletion.
 */
import {
  chmodSync, closeSync, constants, lchownSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync,
  type Stats, symlinkSync,
} from "node:fs";
import process from "node:process";
import { invalid } from "../core/errors.ts";
import type { Sys } from "../platform/sys.ts";
import { type FileMeta, type FileWriter, finishFile, type StreamHash, writeAll } from "./files.ts";
import { exists, makeDir, makedev, remove, typeBits } from "./nodes.ts";
import { clean, hostile, Scope } from "./paths.ts";
import { Below, overlayRules } from "./overlay/below.ts";
import type { TarEntry } from "./tar/entry.ts";
import type { TarSink } from "./tar/reader.ts";
import { perEntry } from "../platform/jit.ts";

const OPAQUE = ".wh..wh..opq";
const WH = ".wh.";

/** Files opened before a helper thread (when the runtime has one) is worth using. */
const HELP_AFTER = 256;

/**
 * Metadata goes on through the open file where it can (fstat, fchown, fchmod, futimens),
 * and only what differs from what the kernel already made is changed. While the layer
 * only adds to an empty snapshot, the blocks of what it made are summed from those
 * stats, so the new record's size needs no second walk of the tree. With a helper, a
 * big layer's files are written and finished there (see files.ts).
 */
export class Applier implements TarSink {
  private scope: Scope;
  private asRoot = process.getuid?.() === 0;
  private fd = -1;
  private current: TarEntry | undefined;
  private writer: FileWriter | undefined;
  /** Files go to the writer: set once HELP_AFTER files were opened. */
  private helping = false;
  private opened = 0;
  /** Directories whose metadata is set at the end, with the inode each was then. */
  private dirs: { abs: string; e: TarEntry; dev: number; ino: number }[] = [];
  /** What this layer made, relative: an opaque whiteout keeps these. */
  private made = new Set<string>();
  /** Every directory this layer made, measured at the end. */
  private madeDirs = new Set<string>();
  /** Bytes of blocks made so far; undefined once anything was replaced or removed. */
  private bytes: number | undefined;

  /** Lookups through an upper directory to the tree below it (an overlay child). */
  private below: Below | undefined;

  constructor(root: string, private sys: Sys, helper?: () => FileWriter, private overlay?: { below?: string }) {
    const below = (this.below = overlay?.below === undefined ? undefined : new Below(sys, root, overlay.below));
    this.scope = new Scope(root, below && ((rel) => below.view(rel)));
    this.bytes = readdirSync(root).length === 0 ? 0 : undefined;
    this.writer = helper?.();
  }

  /**
   * With a helper, the hash of the tar stream: the reader must hand it each chunk after
   * pushing it, as file data is written from those chunks (see files.ts).
   */
  get streamHash(): StreamHash | undefined {
    return this.writer;
  }

  /** The tree's disk usage as `du` counts it (SPEC's record size), when it is known. */
  get size(): number | undefined {
    return this.bytes;
  }

  entry(e: TarEntry): void {
    if (this.overlay) overlayRules(e);
    const rel = clean(e.path);
    if (rel === "") {
      if (e.type === "dir") this.later(this.scope.root, e);
      return;
    }
    const slash = rel.lastIndexOf("/");
    const name = rel.slice(slash + 1);
    const parent = this.dir(slash < 0 ? "" : rel.slice(0, slash));
    const relPath = parent ? `${parent}/${name}` : name;
    const abs = this.scope.abs(relPath);

    if (name === OPAQUE) return this.opaque(parent);
    if (name.startsWith(WH)) {
      const victim = name.slice(WH.length);
      if (!victim || victim === "." || victim === "..") throw hostile(`bad whiteout "${e.path}"`);
      const at = parent ? `${parent}/${victim}` : victim;
      this.scope.forget(at);
      this.bytes = undefined;
      rmSync(this.scope.abs(at), { recursive: true, force: true });
      this.below?.remove(this.scope.abs(at));
      return;
    }

    if (e.type === "dir") {
      if (this.mkdir(abs)) {
        const old = this.seen(abs)!;
        if (!old.isDirectory()) {
          this.bytes = undefined;
          if (this.below) this.below.freshDir(abs, 0o700);
          else {
            rmSync(abs, { recursive: true, force: true });
            mkdirSync(abs, { mode: 0o700 });
          }
        }
      }
      this.scope.markReal(relPath);
      this.made.add(relPath);
      this.later(abs, e);
      return;
    }
    this.made.add(relPath);
    // Created exclusively, never through what is there: something in the way (from a
    // lower layer, or a symlink) is removed and the creation tried again.
    const create = <T>(make: () => T): T => {
      try {
        return make();
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") throw err;
        this.bytes = undefined;
        this.scope.forget(relPath);
        remove(abs);
        return make();
      }
    };
    switch (e.type) {
      case "file":
        this.fd = create(() => openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, e.mode & 0o777));
        this.current = e;
        if (this.writer && ++this.opened === HELP_AFTER) this.helping = true;
        return; // metadata once the data is written
      case "symlink":
        create(() => symlinkSync(e.linkname, abs));
        this.meta(abs, e, lstatSync(abs));
        return;
      case "hardlink": {
        const target = this.scope.resolve(clean(e.linkname));
        const st = this.seen(this.scope.abs(target));
        if (!st || st.isDirectory()) throw hostile(`hardlink "${e.path}" to "${e.linkname}", which is not a file in the snapshot`);
        // Only in the tree below: copied up first, as a link cannot reach a lower layer.
        if (this.below?.copyUp(this.scope.abs(target))) this.bytes = undefined;
        create(() => linkSync(this.scope.abs(target), abs));
        return; // the target's metadata stands
      }
      default:
        if (e.type !== "fifo" && !this.asRoot) throw invalid(`device node "${e.path}" needs root to extract`);
        create(() => this.sys.mknod(abs, typeBits[e.type as keyof typeof typeBits] | e.mode, makedev(e.devmajor, e.devminor)));
        this.meta(abs, e, lstatSync(abs));
    }
  }

  data(chunk: Uint8Array): void {
    if (!this.current) return;
    if (this.helping) this.writer!.data(this.fd, chunk);
    else writeAll(this.fd, chunk);
  }

  end(): void {
    const e = this.current;
    if (!e) return; // a whiteout, or another entry that opened nothing
    this.current = undefined;
    const fd = this.fd;
    this.fd = -1;
    const meta: FileMeta = { uid: e.uid, gid: e.gid, mode: e.mode, mtimeNs: e.mtimeNs, xattrs: e.xattrs, chown: this.asRoot };
    if (this.helping) this.writer!.end(fd, meta);
    else this.add(finishFile(this.sys, fd, meta));
  }

  /** Directories last, deepest first, so their times are not disturbed by their children. */
  async finish(): Promise<void> {
    if (this.writer) {
      const writer = this.writer;
      this.writer = undefined;
      this.add(await writer.finish());
    }
    for (const { abs, e, dev, ino } of this.dirs.reverse()) {
      // A later entry may have removed the directory, or put a symlink on its path (to
      // the host's /etc, say): only the inode made here gets the entry's metadata.
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st || st.dev !== dev || st.ino !== ino) continue;
      if (this.madeDirs.delete(abs)) this.count(st);
      this.meta(abs, e, st);
    }
    if (this.bytes === undefined) return; // something was replaced: measured by a walk
    // Directories made for entries' parents, and the root, are measured too.
    for (const abs of this.madeDirs) this.count(lstatSync(abs));
    this.count(lstatSync(this.scope.root));
  }

  /** Closes a file left open by an interrupted layer, and lets the helper close its own. */
  async abort(): Promise<void> {
    if (this.fd >= 0 && !this.helping) closeSync(this.fd);
    else if (this.fd >= 0) this.writer!.end(this.fd, null);
    this.fd = -1;
    await this.writer?.finish().catch(() => {});
    this.writer = undefined;
  }

  /** The real directory for a parent path, made as needed, never outside the snapshot. */
  private dir(rel: string): string {
    if (!rel || this.scope.isReal(rel)) return rel;
    const real = this.scope.resolve(rel, true);
    let built = "";
    for (const part of real ? real.split("/") : []) {
      built = built ? `${built}/${part}` : part;
      if (this.scope.isReal(built)) continue;
      const abs = this.scope.abs(built);
      if (this.mkdir(abs, 0o755) && !this.seen(abs)!.isDirectory()) {
        throw hostile(`"${rel}" runs through "${built}", which is not a directory`);
      }
      this.scope.markReal(built);
    }
    if (real === rel) this.scope.markReal(rel);
    return real;
  }

  private opaque(dirRel: string): void {
    const abs = this.scope.abs(dirRel);
    const keep = (name: string) => this.made.has(dirRel ? `${dirRel}/${name}` : name);
    for (const child of readdirSync(abs)) {
      const rel = dirRel ? `${dirRel}/${child}` : child;
      if (keep(child)) continue;
      this.bytes = undefined;
      this.scope.forget(rel);
      rmSync(`${abs}/${child}`, { recursive: true, force: true });
    }
    this.below?.hide(abs, keep);
  }

  /** A directory entry whose metadata goes on in finish(), once nothing more lands in it. */
  private later(abs: string, e: TarEntry): void {
    const { dev, ino } = lstatSync(abs);
    this.dirs.push({ abs, e, dev, ino });
  }

  /** Makes a directory; true if something was already there (nothing was made). */
  private mkdir(abs: string, mode = 0o700): boolean {
    if (this.below ? this.below.mkdir(abs, mode) : !makeDir(abs, mode)) return true;
    this.madeDirs.add(abs);
    return false;
  }

  /** What is seen at `abs`: in the snapshot, or through an upper, in the tree below it. */
  private seen(abs: string): Stats | undefined {
    return this.below ? this.below.stat(abs) : exists(abs);
  }

  private count(st: Stats): void {
    this.add(st.blocks * 512);
  }

  private add(bytes: number): void {
    if (this.bytes !== undefined) this.bytes += bytes;
  }

  /** Owner, mode, xattrs and times by path, given the node's stat as made. */
  private meta(abs: string, e: TarEntry, st: Stats): void {
    if (e.type === "symlink" || e.type === "char" || e.type === "block" || e.type === "fifo") this.count(st);
    if (this.asRoot && (st.uid !== e.uid || st.gid !== e.gid)) lchownSync(abs, e.uid, e.gid);
    if (e.type !== "symlink" && (st.mode & 0o7777) !== e.mode) chmodSync(abs, e.mode);
    for (const [name, value] of e.xattrs) this.sys.setxattr(abs, name, value);
    this.sys.utimens(abs, e.mtimeNs, e.mtimeNs);
  }
}

perEntry(Applier.prototype.entry);
