/**
 * The CLI against registries in tests. `cli`/`ok` (env.ts) run the CLI with spawnSync,
 * which stops this process's event loop while the child runs: fine against the registry
 * (a process of its own), a deadlock against anything served from this process (the
 * fault proxy, a token issuer). These run it with the same command (the compiled binary
 * under STRATA_BIN) without blocking. Also: a tree as comparable data, and a chain of
 * three committed layers to push.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { cliCommand, ok, type Run } from "./env.ts";

export async function cliAsync(root: string, args: string[], env: { [k: string]: string | undefined } = {}): Promise<Run> {
  const p = Bun.spawn([...cliCommand(), "--root", root, ...args], {
    env: { ...process.env, STRATA_ROOT: undefined, STRATA_ADDR: undefined, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

/** `--json` output of a command that must succeed. */
export async function okAsync(root: string, args: string[], env: { [k: string]: string | undefined } = {}): Promise<any> {
  const r = await cliAsync(root, ["--json", ...args], env);
  if (r.code !== 0) throw new Error(`strata ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.json;
}

/** Every entry under `dir`: type, permission bits, owner, and content digest or link target. */
export function treeOf(dir: string): { [path: string]: string } {
  const out: { [path: string]: string } = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(`${dir}/${rel}`).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(`${dir}/${path}`);
      const head = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out[path] = `link ${head} -> ${readlinkSync(`${dir}/${path}`)}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${head}`;
        walk(path);
      } else out[path] = `file ${head} ${createHash("sha256").update(readFileSync(`${dir}/${path}`)).digest("hex").slice(0, 16)}`;
    }
  };
  walk("");
  return out;
}

/**
 * Three committed layers in `root`: a base with directories, files and a symlink; a
 * layer that changes and adds; a layer that deletes a file and a directory. Returns the
 * committed records, root first.
 */
export function threeLayers(root: string): { id: string }[] {
  const base = ok(root, "new", "--description", "base: a tree");
  mkdirSync(`${base.path}/etc/conf.d`, { recursive: true });
  mkdirSync(`${base.path}/gone`);
  writeFileSync(`${base.path}/etc/motd`, "hello\n");
  writeFileSync(`${base.path}/etc/conf.d/a.conf`, "a=1\n", { mode: 0o600 });
  writeFileSync(`${base.path}/gone/file`, "soon deleted\n");
  writeFileSync(`${base.path}/run.sh`, "#!/bin/sh\necho hi\n", { mode: 0o755 });
  writeFileSync(`${base.path}/deleted`, "soon deleted\n");
  symlinkSync("etc/motd", `${base.path}/motd`);
  const one = ok(root, "commit", base.id);
  const mid = ok(root, "new", "--parent", one.id, "--description", "second: changes and adds");
  writeFileSync(`${mid.path}/etc/motd`, "changed\n");
  writeFileSync(`${mid.path}/big.bin`, new Uint8Array(300_000).map((_, i) => (i * 7919) % 251));
  const two = ok(root, "commit", mid.id);
  const top = ok(root, "new", "--parent", two.id, "--description", "third: deletes");
  rmSync(`${top.path}/deleted`);
  rmSync(`${top.path}/gone`, { recursive: true });
  writeFileSync(`${top.path}/etc/conf.d/b.conf`, "b=2\n");
  const three = ok(root, "commit", top.id);
  return [one, two, three];
}
