/**
 * Shared pieces of the parity suite (BuildKit's cache/manager_test.go replayed through the
 * CLI): fresh roots, du and prune counts, blob and snapshot counts, leases as extra refs,
 * layer fixtures made by Python's tarfile, gzip and zstd, and the chain-ID formulas of
 * SPEC §2 computed here, independently of strata.
 *
 *   const t = fresh();                       // t.dir, t.root; cleanup(t.dir) after
 *   const l = layer(t.dir, "a", { foo: "bar" });
 *   const r = ok(t.root, "import", l.gz, "--lazy");
 *   expect(duCounts(t.root)).toEqual([0, 1]);
 */
import { expect } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cleanup, cli, cliCommand, ok, tempDir } from "../helpers/env.ts";

export { cleanup, cli, ok };

export interface Fresh {
  dir: string;
  root: string;
}

/** A temp directory with a root path in it (the root itself is made by the first command). */
export function fresh(prefix = "strata-parity-"): Fresh {
  const dir = tempDir(prefix);
  return { dir, root: `${dir}/root` };
}

/** ok() in a child process that runs alongside others: for the suite's concurrent passes. */
export async function okAsync(root: string, ...args: string[]): Promise<any> {
  const p = Bun.spawn([...cliCommand(), "--root", root, "--json", ...args], {
    env: { ...process.env, STRATA_ROOT: undefined, STRATA_ADDR: undefined },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`strata ${args.join(" ")} exited ${code}: ${err}`);
  return JSON.parse(out);
}

/** Runs a command that must fail with this exit code; returns the run. */
export function fails(root: string, code: number, ...args: string[]) {
  const r = cli(root, "--json", ...args);
  if (r.code !== code) {
    throw new Error(`strata ${args.join(" ")}: expected exit ${code}, got ${r.code}: ${r.stdout}${r.stderr}`);
  }
  return r;
}

/** The exit code of a command (for assertions that should print the code, not throw). */
export const exitOf = (root: string, ...args: string[]) => cli(root, "--json", ...args).code;

export interface DuRecord {
  id: string;
  inUse: boolean;
  mutable: boolean;
  size: number;
  parents: string[];
  kind: string;
  lazy: boolean;
  [k: string]: unknown;
}

export function du(root: string): { records: DuRecord[]; totals: Record<string, number> } {
  return ok(root, "du");
}

/** du's records by ID (one call for many lookups). */
export function byId(root: string): Map<string, DuRecord> {
  return new Map(du(root).records.map((r) => [r.id, r]));
}

/** BuildKit's checkDiskUsage(inuse, unused): records in du by their inUse flag. */
export function duCounts(root: string): [number, number] {
  const records = du(root).records;
  return [records.filter((r) => r.inUse).length, records.filter((r) => !r.inUse).length];
}

export interface Pruned {
  records: DuRecord[];
  summary: { records: number; bytes: number };
}

/** `prune --json ARGS`: the streamed record lines and the summary, which must agree. */
export function prune(root: string, ...args: string[]): Pruned {
  const r = cli(root, "--json", "prune", ...args);
  if (r.code !== 0) throw new Error(`strata prune ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  const lines = r.stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  const last = lines.pop();
  expect(last).toHaveProperty("summary");
  const records = lines as DuRecord[];
  expect(last.summary.records).toBe(records.length);
  return { records, summary: last.summary };
}

/** IDs a prune removed, in the order they streamed out. */
export const pruned = (root: string, ...args: string[]) => prune(root, ...args).records.map((r) => r.id);

/** Hex names of the blob files in ROOT/content/blobs/sha256 (BuildKit's checkNumBlobs). */
export function blobs(root: string): string[] {
  const d = `${root}/content/blobs/sha256`;
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((n) => statSync(`${d}/${n}`).isFile()).sort();
}

/** The blob file of a digest. */
export const blobFile = (root: string, digest: string) => `${root}/content/blobs/sha256/${digest.replace(/^sha256:/, "")}`;

/**
 * Snapshot directories of the native layout (ROOT/snapshots/<key>). The one place the suite
 * depends on the snapshotter's layout: adapt it here for another snapshotter.
 */
export function snapshotDirs(root: string): number {
  const d = `${root}/snapshots`;
  return existsSync(d) ? readdirSync(d).length : 0;
}

/** BuildKit's extra refs: a lease holding REF (returns the lease ID). */
export function hold(root: string, ref: string): string {
  const l = ok(root, "lease", "create");
  ok(root, "lease", "add", l.id, ref);
  return l.id;
}

/** Ends a lease made by hold(). */
export function unhold(root: string, lease: string) {
  ok(root, "lease", "rm", lease);
}

/** A committed record: `new` (on a parent), fill the directory, `commit` (held when asked). */
export function committed(
  root: string,
  fill: (path: string) => void,
  opts: { parent?: string; retain?: boolean; hold?: boolean } = {},
): { id: string; mutable: string; path: string } {
  const m = ok(root, "new", ...(opts.parent ? ["--parent", opts.parent] : []), ...(opts.retain ? ["--retain"] : []));
  fill(m.path);
  const c = ok(root, "commit", m.id, ...(opts.hold ? ["--hold", "1h"] : []));
  return { id: c.id, mutable: m.id, path: m.path };
}

/** A well-formed record ID that no root has. */
export const unknownID = "zzzzzzzzzzzzzzzzzzzzzzzzz";

// ---- digests and chain IDs (SPEC §2), computed here, not by strata ----

export const sha256hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
export const sha256 = (data: string | Uint8Array) => `sha256:${sha256hex(data)}`;
export const fileDigest = (path: string) => sha256(readFileSync(path));

/** ChainID of a layer on a parent chain (none for a base). */
export const cid = (parent: string | null, diffID: string) => (parent ? sha256(`${parent} ${diffID}`) : diffID);
/** The blob's identity: sha256(digest + " " + diffID). */
export const bid = (digest: string, diffID: string) => sha256(`${digest} ${diffID}`);
/** BlobChainID of a layer on a parent blob chain (none for a base). */
export const bcid = (parent: string | null, digest: string, diffID: string) =>
  parent ? sha256(`${parent} ${bid(digest, diffID)}`) : bid(digest, diffID);

/** Folds cid over diffIDs. */
export const chainOf = (diffIDs: string[]) => diffIDs.reduce<string | null>((p, d) => cid(p, d), null);
/** Folds bcid over (digest, diffID) pairs. */
export const blobChainOf = (layers: { digest: string; diffID: string }[]) =>
  layers.reduce<string | null>((p, l) => bcid(p, l.digest, l.diffID), null);

// ---- layer fixtures ----

export interface Layer {
  /** the uncompressed tar */
  tar: string;
  gz: string;
  zst: string;
  /** sha256 of the tar: the diffID, and the uncompressed blob's digest */
  diffID: string;
  gzDigest: string;
  zstDigest: string;
}

/**
 * A layer like BuildKit's fixtures: a tar of regular files only, in the given order, no
 * directory entries, owner 0, mtime 0, mode 0644 (BuildKit's are 0000 and its tests run as
 * root; 0644 keeps the fixture readable whoever runs the suite). Written as NAME.tar, and
 * NAME.tar.gz (`gzip -n`) and NAME.tar.zst (`zstd`) of the same bytes.
 */
export function layer(dir: string, name: string, files: Record<string, string>): Layer {
  const tar = `${dir}/${name}.tar`;
  const script = `
import io, json, sys, tarfile
files = json.loads(sys.argv[2])
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in files:
        i = tarfile.TarInfo(name)
        b = data.encode()
        i.size, i.mode, i.mtime, i.uid, i.gid = len(b), 0o644, 0, 0, 0
        t.addfile(i, io.BytesIO(b))
`;
  execFileSync("python3", ["-c", script, tar, JSON.stringify(Object.entries(files))]);
  execFileSync("sh", ["-c", `gzip -n -c "$1" > "$1.gz" && zstd -q -c "$1" > "$1.zst"`, "sh", tar]);
  return {
    tar,
    gz: `${tar}.gz`,
    zst: `${tar}.zst`,
    diffID: fileDigest(tar),
    gzDigest: fileDigest(`${tar}.gz`),
    zstDigest: fileDigest(`${tar}.zst`),
  };
}

/** sha256 of a blob after decompressing it with the system's tools (gzip, zstd, or none). */
export function decompressedDigest(path: string): string {
  const head = readFileSync(path).subarray(0, 4);
  const tool = head[0] === 0x1f && head[1] === 0x8b ? "gzip -dc" : head.readUInt32LE(0) === 0xfd2fb528 || (head.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50 ? "zstd -dc" : "cat";
  return `sha256:${execFileSync("sh", ["-c", `${tool} "$1" | sha256sum`, "sh", path]).toString().split(" ")[0]}`;
}

/** Disk usage of a directory as `du -s -B1` counts it (after a sync). */
export function diskUsage(path: string): number {
  execFileSync("sync");
  return Number(execFileSync("du", ["-s", "-B1", path]).toString().split("\t")[0]);
}
