/**
 * Snapshots by key, after containerd's snapshotter. An active snapshot is prepared on
 * a committed parent (or on nothing) and is writable; `commit` freezes it, and only a
 * committed snapshot may be a parent. Nothing here promises a copy: a child may share
 * its parent's data (overlayfs does), so nothing may write into a committed tree.
 *
 * A tree is reached through `mount`, which gives a directory that stays the same for
 * the life of the key (commit does not move it). Where that takes a kernel mount, the
 * mount outlives the process that made it and ends with `unmount` or `remove`; the core
 * unmounts what no record explains any more (recovery, `check --repair`).
 *
 * Removal is crash-safe: a snapshot is renamed aside first, then deleted.
 *
 * Snapshotters that keep a snapshot's changes apart from its tree (overlayfs) say so
 * with the optional capabilities at the end; the core asks for them and never for a
 * name, so every snapshotter runs the same code paths where it lacks them.
 */
export type SnapshotterName = "native" | "overlayfs";

export interface Snapshotter {
  readonly name: SnapshotterName;
  /** A new active snapshot `key`: `parent`'s tree to build on, or an empty one. */
  prepare(key: string, parent?: string): Promise<void>;
  /**
   * Active to committed: read-only from now, usable as a parent; no data moves. Cheap,
   * and a no-op when done before. May fail with *locked* where the tree is still being
   * written (a file open for writing in an overlay mount).
   */
  commit(key: string): Promise<void>;
  /**
   * The directory holding key's whole tree: writable while active, to be read only once
   * committed. Mounts it first where that is needed; the same path every time.
   */
  mount(key: string): Promise<string>;
  /** Ends key's mount, if it has one; `mount` makes it again. */
  unmount(key: string): Promise<void>;
  /** Keys that have a mount now (none where mounting is not needed). */
  mounted(): string[];
  /** Unmounts and removes a snapshot: renamed aside, then deleted. */
  remove(key: string): Promise<void>;
  /**
   * Unmounts and renames a snapshot aside now (before this returns) and deletes it in
   * the background; the promise settles when it is gone. Deleting is kernel work other
   * threads can do while this one goes on.
   */
  drop(key: string): Promise<void>;
  exists(key: string): boolean;
  /** Keys that have data. */
  list(): string[];
  /** A number that changes whenever a snapshot is added or removed. */
  version(): string;
  /**
   * Bytes a snapshot's own data takes, each inode once, leaving out inodes also found
   * under `shared` keys (a merge shares its inputs' files). Where a snapshot keeps its
   * changes apart (overlayfs), its own data is those changes.
   */
  usage(key: string, shared?: string[]): Promise<number>;
  /** Whether a snapshot's tree has no entries. */
  empty(key: string): Promise<boolean>;
  /**
   * Deletes what this process, or a process that died, renamed aside; with `measure`,
   * returns the bytes that freed.
   */
  sweep(opts?: { measure?: boolean }): Promise<number>;
  /** Size and free bytes of the filesystem holding the snapshots. */
  filesystem(): { size: number; free: number };
  /**
   * Capability (overlayfs): a snapshot's own changes, kept apart from its tree in
   * overlayfs' format (deletions as 0/0 character devices, replaced directories opaque by
   * xattr). The directory when key was prepared on `parent` (undefined `parent`: prepared
   * on nothing, so its changes are its whole tree), else undefined. A layer can be read
   * from it instead of comparing two trees; while key is active and not yet mounted, a
   * layer may be written into it (LayerIO's `overlay` mode) instead of into its tree.
   */
  changes?(key: string, parent: string | undefined): string | undefined;
  /**
   * Capability (overlayfs): prepares `key` as committed snapshots' own changes (as
   * `changes` gives them) laid over one another, bottom first, without copying: a merge.
   * Stacks as many as it can from the bottom and says how many; the caller writes the
   * rest, in the same format, into `upper` before it commits key. When it can stack
   * none, nothing is prepared and the caller prepares key as usual.
   */
  stack?(key: string, layers: string[]): Promise<{ stacked: number; upper: string }>;
}
