/**
 * Which snapshotter a root has (SPEC §7): chosen when the root is made, from
 * `--snapshotter overlayfs|native|auto` (default auto), and kept for good in
 * `ROOT/snapshotter.json` (`{"name", "reason"?}`), written whole before anything else of
 * the root exists. `auto` probes once: a real overlay mount on ROOT's filesystem, with
 * an upper directory and a whiteout, the way snapshots will use it. A root made before
 * strata had overlayfs (a database, no choice recorded) is native.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { failed, usage } from "../core/errors.ts";
import type { SnapshotterName } from "../core/ports/snapshots.ts";
import { isWhiteout, lstatOr } from "../platform/overlay.ts";
import type { Sys } from "../platform/sys.ts";
import { UMOUNT_NOFOLLOW } from "../platform/sys.ts";
import { mountOverlay } from "./overlay/mount.ts";

export interface Choice {
  name: SnapshotterName;
  /** Why a root that asked for auto is native. */
  reason?: string;
}

const asks = ["auto", "native", "overlayfs"] as const;
const file = (root: string) => `${root}/snapshotter.json`;

/**
 * The root's recorded choice, if it has one (cheap: one small file, no database). A
 * damaged one is an error, never taken for none: reading an overlayfs root's uppers as
 * native trees would show children without their parents' files.
 */
export function recordedChoice(root: string): Choice | undefined {
  let text;
  try {
    text = readFileSync(file(root), "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const c = JSON.parse(text);
    if (c.name === "overlayfs" || c.name === "native") return c;
  } catch { /* below */ }
  throw failed(`${file(root)} is damaged; it names the root's snapshotter: {"name":"overlayfs"} or {"name":"native"}`);
}

/**
 * The root's snapshotter: as recorded, or chosen now (and recorded) for a new root.
 * `strict` (an explicit --snapshotter) makes asking for another than the root's a usage
 * error; otherwise (STRATA_SNAPSHOTTER) the ask is only a default for new roots.
 */
export function chooseSnapshotter(root: string, sys: Sys, owner: string, asked = "auto", strict = true): Choice {
  if (!(asks as readonly string[]).includes(asked)) throw usage(`--snapshotter must be overlayfs, native or auto, not "${asked}"`);
  const kept = recordedChoice(root) ??
    (existsSync(`${root}/meta.db`) ? record(root, { name: "native", reason: "the root was made before strata had overlayfs" }) : undefined);
  if (kept) {
    if (strict && asked !== "auto" && asked !== kept.name) {
      throw usage(`${root} uses the ${kept.name} snapshotter, and a root keeps the one it was made with; use another --root for ${asked}`);
    }
    return kept;
  }
  if (asked === "native") return record(root, { name: "native" });
  const why = overlayRefused(root, sys, owner);
  if (why && asked === "overlayfs") throw failed(`cannot use the overlayfs snapshotter for ${root}: ${why}`);
  return record(root, why ? { name: "native", reason: why } : { name: "overlayfs" });
}

function record(root: string, c: Choice): Choice {
  const tmp = `${file(root)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(c) + "\n");
  renameSync(tmp, file(root));
  return c;
}

/**
 * Why this process cannot use overlayfs on ROOT's filesystem; undefined if it can. The
 * probe is made in the trash, named as the snapshotters name what they put there, so
 * what a crash leaves of it (a mount too) goes with the next sweep.
 */
function overlayRefused(root: string, sys: Sys, owner: string): string | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) return `mounting overlayfs needs root (CAP_SYS_ADMIN), and this process runs as uid ${uid}`;
  const probe = `${realpathSync(root)}/trash/${owner}~overlay-probe~${crypto.randomUUID()}`;
  try {
    for (const d of ["lower/d", "upper", "work", "merged"]) mkdirSync(`${probe}/${d}`, { recursive: true });
    writeFileSync(`${probe}/lower/d/f`, "");
    try {
      mountOverlay(sys, `${probe}/merged`, { base: probe, lowers: ["lower"], upper: "upper", work: "work" }, `${probe}/links`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EPERM") return "this process may not mount (it lacks CAP_SYS_ADMIN here)";
      if (code === "ENODEV") return "the kernel has no overlay filesystem";
      return `the kernel refused an overlay on ${root}'s filesystem (${code})`;
    }
    try {
      rmSync(`${probe}/merged/d/f`);
      const st = lstatOr(`${probe}/upper/d/f`);
      if (!st || !isWhiteout(st)) return `${root}'s filesystem cannot hold overlayfs whiteouts`;
    } finally {
      sys.umount(`${probe}/merged`, UMOUNT_NOFOLLOW);
    }
    return undefined;
  } catch (err) {
    return `probing overlayfs on ${root} failed: ${(err as Error).message}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
