/**
 * A layer read from an overlayfs upper directory: the changes of a snapshot against the
 * tree below it, costing what changed rather than what the tree holds. The entries, and
 * their order, are those the two-tree walk (diff.ts) gives for the lower tree and the
 * merged one, so a layer exported from an overlay root is byte for byte the layer a
 * native root exports from the same trees:
 *
 * - a whiteout (a 0/0 character device) is a `.wh.` entry, where the lower tree has the name;
 * - an entry that equals the lower one (copied up, then left as it was) is left out;
 * - an opaque directory holds its whole contents: it is compared with the lower directory
 *   as two trees, so its deletions are per entry, as the two-tree walk has them;
 * - a directory over a lower non-directory is new, with everything under it;
 * - overlayfs' own xattrs (`trusted.overlay.*`) are not content.
 */
import { lstatSync, readdirSync } from "node:fs";
import { isOpaque, isWhiteout, OVERLAY_XATTRS } from "../../platform/overlay.ts";
import type { Sys } from "../../platform/sys.ts";
import { type Change, changes, entryOf, same, sameContent, sorted, stat } from "../diff.ts";
import type { TarEntry } from "../tar/entry.ts";

const whiteoutEntry = (rel: string): TarEntry => {
  const slash = rel.lastIndexOf("/");
  const path = slash < 0 ? `.wh.${rel}` : `${rel.slice(0, slash)}/.wh.${rel.slice(slash + 1)}`;
  return { path, type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: "", devmajor: 0, devminor: 0, xattrs: new Map() };
};

export function* upperChanges(sys: Sys, lower: string, upper: string): Generator<Change> {
  const links = new Map<string, string>();
  const subtree = (rel: string, fresh: boolean) =>
    changes(sys, lower, upper, { under: [[rel, fresh]], links, hide: OVERLAY_XATTRS });

  function* walk(rel: string): Generator<Change> {
    const up = rel ? `${upper}/${rel}` : upper;
    for (const name of sorted(readdirSync(up))) {
      const childRel = rel ? `${rel}/${name}` : name;
      const upPath = `${up}/${name}`;
      const lowPath = `${lower}/${childRel}`;
      const ust = lstatSync(upPath, { bigint: true });
      const lst = stat(lowPath);
      if (isWhiteout(ust)) {
        if (lst) yield { entry: whiteoutEntry(childRel) };
        continue;
      }
      const e = entryOf(sys, upPath, childRel, ust, true, OVERLAY_XATTRS);
      if (!e) continue;
      const le = lst ? entryOf(sys, lowPath, childRel, lst) : undefined;
      const unchanged = le !== undefined && same(e, le) && (e.type !== "file" || sameContent(upPath, lowPath, ust, lst!));
      if (!unchanged) {
        const inode = `${ust.dev}:${ust.ino}`;
        const first = e.type === "file" && ust.nlink > 1n ? links.get(inode) : undefined;
        if (first) {
          yield { entry: { ...e, type: "hardlink", size: 0, linkname: first, xattrs: new Map() } };
          continue;
        }
        if (e.type === "file" && ust.nlink > 1n) links.set(inode, childRel);
        yield { entry: e, source: e.type === "file" ? upPath : undefined };
      }
      if (e.type !== "dir") continue;
      if (le?.type !== "dir") yield* subtree(childRel, true);
      else if (isOpaque(sys, upPath)) yield* subtree(childRel, false);
      else yield* walk(childRel);
    }
  }
  yield* walk("");
}
