/**
 * A stack of overlay layers as one plain tree, without copying data: the layers (top
 * first) merged as overlayfs shows them (a whiteout deletes, an opaque directory hides
 * what is below it, a non-directory ends the search), each file, symlink or device
 * hardlinked from the layer it comes from, or copied where no link can be made (too
 * many links). Directories take the metadata of the topmost layer that has them, as
 * the kernel shows it. Every layer is committed, so sharing their inodes is safe.
 */
import { type BigIntStats, chmodSync, lchownSync, linkSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import process from "node:process";
import { isOpaque, isWhiteout, lstatOr, OVERLAY_XATTRS } from "../../platform/overlay.ts";
import type { Sys } from "../../platform/sys.ts";
import { copyFile } from "../copy.ts";

const asRoot = process.getuid?.() === 0;

export function flatten(sys: Sys, layers: string[], dest: string): void {
  const dirs: { from: string; to: string; st: BigIntStats }[] = [];
  const visit = (srcs: string[], to: string) => {
    mkdirSync(to, { mode: 0o700 });
    dirs.push({ from: srcs[0]!, to, st: lstatSync(srcs[0]!, { bigint: true }) });
    const seen = new Set<string>();
    srcs.forEach((src, i) => {
      for (const name of readdirSync(src)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const from = `${src}/${name}`;
        const st = lstatSync(from, { bigint: true });
        if (isWhiteout(st)) continue;
        if (st.isDirectory()) visit(below(sys, srcs.slice(i + 1), name, from), `${to}/${name}`);
        else link(sys, from, `${to}/${name}`, st);
      }
    });
  };
  visit(layers, dest);
  // Deepest first: the walk pushed each directory before its children.
  for (const { from, to, st } of dirs.reverse()) {
    if (asRoot) lchownSync(to, Number(st.uid), Number(st.gid));
    chmodSync(to, Number(st.mode) & 0o7777);
    for (const name of sys.listxattr(from)) {
      if (!name.startsWith(OVERLAY_XATTRS)) sys.setxattr(to, name, sys.getxattr(from, name));
    }
    sys.utimens(to, st.atimeNs, sys.times(from, st)[1]);
  }
}

/** A directory and the same directory in the layers below it, as far as overlayfs looks. */
function below(sys: Sys, lower: string[], name: string, top: string): string[] {
  const out = [top];
  if (isOpaque(sys, top)) return out;
  for (const layer of lower) {
    const path = `${layer}/${name}`;
    const st = lstatOr(path);
    if (!st) continue;
    if (!st.isDirectory()) break; // a whiteout or a non-directory hides the rest
    out.push(path);
    if (isOpaque(sys, path)) break;
  }
  return out;
}

function link(sys: Sys, from: string, to: string, st: BigIntStats): void {
  try {
    linkSync(from, to);
  } catch (err) {
    if ((err as { code?: string }).code !== "EMLINK" || !st.isFile()) throw err;
    const [atimeNs, mtimeNs] = sys.times(from, st);
    copyFile(sys, { from, to, uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), atimeNs, mtimeNs });
  }
}

/** Bytes of the directories (and lone files) of a flat tree: its links are its layers' files. */
export function ownDirs(dir: string): number {
  let total = 0;
  const visit = (path: string) => {
    const st = statSync(path);
    total += st.blocks * 512;
    for (const e of readdirSync(path, { withFileTypes: true })) {
      if (e.isDirectory()) visit(`${path}/${e.name}`);
      else if (e.isFile()) {
        const f = statSync(`${path}/${e.name}`);
        if (f.nlink === 1) total += f.blocks * 512;
      }
    }
  };
  visit(dir);
  return total;
}
