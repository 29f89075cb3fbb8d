/** The CLI as a user meets it: output, JSON shapes, exit codes and one-line errors (SPEC §4). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cleanup, cli, cliCommand, ok, tempDir } from "../helpers/env.ts";

let root: string;
beforeAll(() => (root = tempDir()));
afterAll(() => cleanup(root));

const fields = [
  "id", "kind", "mutable", "inUse", "size", "createdAt", "lastUsedAt", "usageCount", "parents",
  "description", "recordType", "shared", "lazy", "cachePolicy", "blob", "chainID", "blobChainID",
];

test("version prints a version and the runtime", () => {
  const v = ok(root, "version");
  expect(v.version).toMatch(/^\d+\.\d+\.\d+/);
  expect(v.runtime).toMatch(/^(bun|deno) /);
  expect(cli(root, "version").stdout).toMatch(/^strata \d+\.\d+\.\d+ \((bun|deno) /);
  // Bare `strata version` takes a fast path at start-up; it must say the same.
  const bare = Bun.spawnSync([...cliCommand(), "version"]);
  expect(bare.exitCode).toBe(0);
  expect(bare.stdout.toString()).toBe(cli(root, "version").stdout);
});

test("a tour: new, write, commit, branch a child, du, prune", () => {
  const m = ok(root, "new", "--description", "deps");
  expect(Object.keys(m).sort()).toEqual(["id", "mutable", "parents", "path"]);
  writeFileSync(`${m.path}/hello`, "world");
  const c = ok(root, "commit", m.id);
  expect(Object.keys(c).sort()).toEqual([...fields].sort());
  expect(c).toMatchObject({ kind: "base", mutable: false, description: "deps", inUse: false });
  expect(c.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

  const child = ok(root, "new", "--parent", c.id);
  expect(child.parents).toEqual([c.id]);
  expect(readFileSync(`${child.path}/hello`, "utf8")).toBe("world");

  const du = ok(root, "du");
  expect(du.records.map((r: { id: string }) => r.id).sort()).toEqual([c.id, child.id].sort());
  expect(Object.keys(du.totals).sort()).toEqual(["content", "metadata", "private", "reclaimable", "shared", "total"]);

  const human = cli(root, "du").stdout;
  expect(human).toMatch(/^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED$/m);
  expect(human).toContain(`${child.id}*`);
  expect(human).toMatch(/^Total:\s+\d/m);

  ok(root, "release", child.id);
  const pruned = cli(root, "--json", "prune", "--all");
  expect(pruned.code).toBe(0);
  const lines = pruned.stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.map((l) => l.id ?? "summary")).toEqual([c.id, "summary"]);
  expect(lines.at(-1).summary.records).toBe(1);
  expect(ok(root, "du").records).toEqual([]);
});

test("path prints just the directory, so `cd $(strata path ID)` works", () => {
  const m = ok(root, "new");
  const r = cli(root, "path", m.id, "--rw");
  expect(r.stdout).toBe(`${m.path}\n`);
  ok(root, "release", m.id);
});

test("info reads like buildctl du --verbose", () => {
  const m = ok(root, "new", "--description", "shown");
  const text = cli(root, "info", m.id).stdout;
  expect(text).toMatch(new RegExp(`^ID:\\s+${m.id}$`, "m"));
  expect(text).toMatch(/^Description:\s+shown$/m);
  expect(text).toMatch(/^Mutable:\s+true$/m);
  ok(root, "release", m.id);
});

describe("exit codes and one-line errors", () => {
  const cases: [string, string[], number, string][] = [
    ["unknown command", ["frobnicate"], 2, "usage"],
    ["unknown flag", ["new", "--frob"], 2, "usage"],
    ["missing argument", ["info"], 2, "usage"],
    ["extra argument", ["info", "a", "b"], 2, "usage"],
    ["bad duration", ["new", "--hold", "soon"], 2, "usage"],
    ["a hold past any date", ["new", "--hold", "99999999999999999999d"], 2, "usage"],
    ["a lease past Go's longest duration", ["lease", "create", "--expires", "3000000h"], 2, "usage"],
    ["bad type", ["new", "--type", "weird"], 2, "usage"],
    ["bad id", ["commit", "not-an-id"], 2, "usage"],
    ["more than the whole filesystem", ["prune", "--min-free-space", "150%"], 2, "usage"],
    ["unknown record", ["info", "0".repeat(25)], 3, "not_found"],
    ["unknown key", ["info", "key:nope"], 3, "not_found"],
  ];
  for (const [name, args, code, errCode] of cases) {
    test(`${name}: exit ${code}`, () => {
      const r = cli(root, ...args);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^strata: [^\n]+\n$/);
      const j = cli(root, "--json", ...args);
      expect(j.code).toBe(code);
      expect(JSON.parse(j.stderr)).toMatchObject({ error: { code: errCode } });
    });
  }

  test("locked: exit 4; invalid: exit 5", () => {
    const m = ok(root, "new");
    expect(cli(root, "new", "--parent", m.id).code).toBe(4);
    const c = ok(root, "commit", m.id);
    expect(cli(root, "reopen", c.id).code).toBe(5);
    expect(cli(root, "path", c.id, "--rw").code).toBe(5);
  });

  test("a percentage above 100 is a mistake, not a wish to prune everything: nothing goes", () => {
    const c = ok(root, "commit", ok(root, "new").id);
    ok(root, "release", c.id);
    for (const flag of ["--min-free-space", "--max-used-space", "--reserved-space"]) {
      const r = cli(root, "prune", flag, "101%");
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^strata: \w+: invalid size "101%" \(a percentage of the filesystem is at most 100%\)\n$/);
    }
    expect(ok(root, "info", c.id).id).toBe(c.id);
  });

  test("a root that cannot be made is one line, exit 1", () => {
    const r = Bun.spawnSync([...cliCommand(), "--root", "/proc/nope/strata", "du"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toMatch(/^strata: [^\n]+\n$/);
  });
});

test("a bunfig.toml or .env where strata runs changes nothing: no preload runs, no root is taken from it", () => {
  const dir = tempDir();
  try {
    writeFileSync(`${dir}/bunfig.toml`, 'preload = ["./preload.ts"]\n');
    writeFileSync(`${dir}/preload.ts`, `require("node:fs").writeFileSync(${JSON.stringify(`${dir}/preloaded`)}, "ran");\n`);
    writeFileSync(`${dir}/.env`, `STRATA_ROOT=${dir}/from-env\n`);
    const r = Bun.spawnSync([...cliCommand(), "--root", `${dir}/root`, "--json", "du"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const bare = Bun.spawnSync([...cliCommand(), "--json", "du"], { cwd: dir, env: { ...process.env, STRATA_ROOT: `${dir}/asked` } });
    expect(bare.exitCode).toBe(0);
    expect(existsSync(`${dir}/asked`)).toBe(true);
    expect(existsSync(`${dir}/from-env`)).toBe(false);
    expect(existsSync(`${dir}/preloaded`)).toBe(false);
  } finally {
    cleanup(dir);
  }
});

test("STRATA_ROOT picks the root when --root is absent", () => {
  const r = Bun.spawnSync([...cliCommand(), "--json", "new"], { env: { ...process.env, STRATA_ROOT: root } });
  expect(r.exitCode).toBe(0);
  const { path } = JSON.parse(r.stdout.toString());
  expect(path.startsWith(`${root}/snapshots/`)).toBe(true);
});

test("help lists the commands, their summaries in one column apart from the usages", () => {
  const r = cli(root, "--help");
  expect(r.code).toBe(0);
  for (const c of ["new", "path", "commit", "release", "reopen", "info", "du", "prune", "version", "serve"]) {
    expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, "m"));
  }
  // Where each summary starts: after the usage and at least two spaces.
  const rows = r.stdout.split("\n").filter((l) => /^  \S/.test(l));
  const columns = new Set(rows.map((l) => l.match(/^  \S.*? {2,}/)![0].length));
  expect(rows.length).toBeGreaterThan(15);
  expect(columns.size).toBe(1);
  expect(r.stdout).toMatch(/^  key set\|get\|ls\|rm ARGS\.\.\. {2,}CI cache keys/m);
});
