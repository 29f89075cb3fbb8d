/**
 * Finding one's way (SPEC §9): help for every command from the table the parser uses
 * (so it names every flag the parser takes), examples that parse, "did you mean", and
 * completion scripts that load in bash and complete.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { globalFlags, parseArgs } from "../../src/cli/args.ts";
import { commands } from "../../src/cli/commands.ts";
import { examples } from "../../src/cli/examples.ts";
import { helpTexts } from "../../src/cli/table.ts";
import { cleanup, cli, cliCommand, ok, tempDir } from "../helpers/env.ts";

let dir: string;
let root: string;
beforeAll(() => {
  dir = tempDir();
  root = `${dir}/root`;
  // `strata` on a PATH of its own, for the completion scripts to call.
  mkdirSync(`${dir}/bin`);
  writeFileSync(`${dir}/bin/strata`, `#!/bin/sh\nexec ${cliCommand().map((w) => `'${w}'`).join(" ")} --root '${root}' "$@"\n`);
  chmodSync(`${dir}/bin/strata`, 0o755);
});
afterAll(() => cleanup(dir));

const shown = ["help", "completion", "serve", ...Object.keys(commands)];

test("help for every command names each flag it takes, with its value, and shows examples", () => {
  for (const name of Object.keys(commands)) {
    const r = cli(root, "help", ...name.split(" "));
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith(`usage: strata ${name}`);
    for (const f of commands[name]!.flags) {
      expect(r.stdout).toMatch(new RegExp(`^  --${f.flag}${f.kind === "bool" ? "" : ` ${f.form.replace(/[|+]/g, "\\$&")}`}\\b`, "m"));
    }
    for (const g of globalFlags) expect(r.stdout).toContain(`--${g.name}`);
    expect(r.stdout).toMatch(/^examples:\n  \S/m);
    // The same from COMMAND --help, before any argument is checked.
    const own = cli(root, ...name.split(" "), "--help");
    expect([own.code, own.stdout]).toEqual([0, r.stdout]);
  }
});

test("every command has examples, and every example parses", () => {
  const table = { ...commands, serve: commands.version!, help: commands.version!, completion: commands.version! };
  for (const name of shown) expect(examples[name]?.length ?? 0).toBeGreaterThan(0);
  for (const name of Object.keys(commands)) {
    for (const e of examples[name]!) {
      const words = e.match(/strata ([^)"]*)/)![1]!.trim().split(/\s+/);
      expect(parseArgs(words, table).command).toBe(name);
    }
  }
});

test("help is the table's, whether a binary has it built in or the CLI makes it", () => {
  const texts = helpTexts();
  expect(Object.keys(texts).length).toBeGreaterThan(30);
  for (const [name, text] of Object.entries(texts)) {
    expect(cli(root, "help", ...name.split(" ").filter(Boolean)).stdout).toBe(`${text}\n`);
  }
});

test("help lists help and completion too; a group's help lists its subcommands", () => {
  const all = cli(root, "help").stdout;
  for (const c of ["help", "completion", "serve"]) expect(all).toMatch(new RegExp(`^  ${c}\\b`, "m"));
  expect(cli(root, "help", "key").stdout).toMatch(/^  key get NAME\s+the record of a key/m);
  expect(cli(root, "help", "prune").stdout).toBe(cli(root, "prune", "--help").stdout);
});

test("a mistyped command or flag is exit 2 with the nearest one", () => {
  const cases: [string[], string][] = [
    [["prun"], `unknown command "prun" (did you mean "prune"?)`],
    [["key", "sett"], `unknown command "key sett" (did you mean "key set"?)`],
    [["new", "--parnet", "x"], `unknown flag --parnet for new (did you mean --parent?)`],
    [["prune", "--dryrun"], `unknown flag --dryrun for prune (did you mean --dry-run?)`],
    [["help", "prunee"], `help: no command "prunee" (did you mean "prune"?)`],
    [["frobnicate"], `unknown command "frobnicate" (see strata help)`],
  ];
  for (const [args, message] of cases) {
    const r = cli(root, ...args);
    expect([r.code, r.stderr]).toEqual([2, `strata: ${message}\n`]);
  }
});

const bash = (script: string) =>
  Bun.spawnSync(["bash", "-c", script], { env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` } });

test("the bash completion loads, and completes commands, flags, choices and record IDs", () => {
  const loaded = bash("source <(strata completion bash); complete -p strata");
  expect(loaded.exitCode).toBe(0);
  expect(loaded.stdout.toString()).toContain("-F _strata strata");
  const m = ok(root, "new");
  ok(root, "key", "set", "deps-1", ok(root, "commit", m.id).id);
  const complete = (...words: string[]) => {
    const r = bash(`source <(strata completion bash); COMP_WORDS=(strata ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length}; _strata; printf '%s\\n' "\${COMPREPLY[@]}"`);
    return r.stdout.toString().trim().split("\n").filter(Boolean);
  };
  expect(complete("pru")).toEqual(["prune"]);
  expect(complete("prune", "--dr")).toEqual(["--dry-run"]);
  expect(complete("key", "")).toEqual(["get", "ls", "rm", "set"]);
  expect(complete("export", "x", "--compression", "z")).toEqual(["zstd"]);
  expect(complete("completion", "")).toEqual(["bash", "fish", "zsh"]);
  const refs = complete("info", "");
  expect(refs).toContain("key:deps-1");
  expect(refs).toContain(ok(root, "key", "get", "deps-1").id);
});

test("zsh and fish get scripts of their own; another shell is a usage error", () => {
  expect(cli(root, "completion", "zsh").stdout).toStartWith("#compdef strata");
  expect(cli(root, "completion", "fish").stdout).toContain("complete -c strata");
  expect(cli(root, "completion", "tcsh").code).toBe(2);
});
