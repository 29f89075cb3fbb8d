/** Test helpers: temporary roots, the service in-process, and the real CLI in a child process. */
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { openRoot } from "../../src/api/open.ts";
import { runtime } from "../../src/runtime/bun/index.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { MNT_DETACH } from "../../src/platform/sys.ts";
import { mountsUnder } from "../../src/snapshot/overlay/mountinfo.ts";

export const repo = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");


export function tempDir(prefix = "strata-test-"): string {
  return mkdtempSync(`${tmpdir()}/${prefix}`);
}

/** Removes a temporary directory, unmounting first what an overlayfs root left mounted in it. */
export function cleanup(dir: string) {
  if (existsSync(dir)) {
    for (const point of mountsUnder(realpathSync(dir)).reverse()) sys.umount(point, MNT_DETACH);
  }
  rmSync(dir, { recursive: true, force: true });
}

export const open = (root: string, opts: Parameters<typeof openRoot>[2] = {}) => openRoot(root, runtime, opts);

/** A clock tests move by hand. */
export function fakeClock(start = Date.parse("2026-11-29T12:00:00Z")) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/**
 * The CLI under test: the compiled binary when STRATA_BIN names it, else the sources on
 * Bun, which like the binary reads no .env and no bunfig.toml from where it runs.
 */
export function cliCommand(): string[] {
  return process.env.STRATA_BIN
    ? [process.env.STRATA_BIN]
    : [process.execPath, "--no-env-file", `--config=${repo}/bunfig.toml`, `${repo}/src/main.ts`];
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

export function cli(root: string, ...args: string[]): Run {
  const r = Bun.spawnSync([...cliCommand(), "--root", root, ...args], {
    env: { ...process.env, STRATA_ROOT: undefined, STRATA_ADDR: undefined },
  });
  const stdout = r.stdout.toString();
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code: r.exitCode ?? -1, stdout, stderr: r.stderr.toString(), json };
}

/** Runs the CLI and insists it succeeded; returns parsed --json output. */
export function ok(root: string, ...args: string[]): any {
  const r = cli(root, "--json", ...args);
  if (r.code !== 0) throw new Error(`strata ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.json;
}
