/**
 * The house's arrows, checked: folders under src/ import one another one way only, and
 * the core imports no adapter, no runtime and no file system (STYLE.md's "arrows point
 * inward").
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { repo } from "./helpers/env.ts";

const src = `${repo}/src`;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = `${dir}/${name}`;
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every module a file imports, statically or on demand, as written. */
const specifiers = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/(?:from\s+|import\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);

/** The top folder of a path under src/ (`main` for src/main.ts). */
const folder = (path: string) => relative(src, path).split("/")[0]!.replace(/\.ts$/, "");

function graph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of files(src)) {
    const from = folder(file);
    for (const spec of specifiers(file)) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(`${src}/`)) continue;
      const to = folder(target);
      if (to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
    }
  }
  return edges;
}

/** A cycle through the graph, as the folders on it, or undefined. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "open") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "open");
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const found = visit(m);
      if (found) return found;
    }
    path.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of edges.keys()) {
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

test("the folders under src/ import one another one way only", () => {
  const edges = graph();
  expect(edges.size).toBeGreaterThan(5);
  expect(findCycle(edges)).toBeUndefined();
});

test("the cycle finder finds a cycle when there is one", () => {
  const edges = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])]]);
  expect(findCycle(edges)).toEqual(["a", "b", "c", "a"]);
});

test("the core imports nothing but itself: no adapter, no runtime, no file system", () => {
  const outside = files(`${src}/core`).flatMap((file) =>
    specifiers(file)
      .filter((spec) => (spec.startsWith(".") ? folder(resolve(dirname(file), spec)) !== "core" : spec !== "node:timers"))
      .map((spec) => `${relative(src, file)} imports ${spec}`)
  );
  expect(outside).toEqual([]);
});

/** Modules a file imports statically, types aside (those are erased): what loading it loads. */
const staticImports = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+["']([^"']+)["']/gms)].map((m) => m[1]!);

/** Every module loading `entry` loads before any of its code runs. */
function loadedAtStart(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    for (const spec of staticImports(file)) {
      const target = spec.startsWith(".") ? resolve(dirname(file), spec) : spec;
      if (seen.has(target)) continue;
      seen.add(target);
      if (spec.startsWith(".") && target.endsWith(".ts")) visit(target);
    }
  };
  visit(entry);
  return seen;
}

test("a command starts without node:crypto, node:zlib, node:stream or node:tls: they load on demand (4–18 ms each in Bun)", () => {
  // What every command on a root loads (cli/main.ts imports these on demand, all of them),
  // and the registry client push and pull load.
  const entries = ["main.ts", "cli/main.ts", "runtime/bun/index.ts", "api/open.ts", "api/invoke.ts", "api/operations.ts", "api/wire.ts", "remote/client.ts", "api/remote.ts", "runtime/bun/fetch.ts"];
  const loaded = new Set(entries.flatMap((e) => [...loadedAtStart(`${src}/${e}`)]));
  expect(loaded.has(`${src}/api/service.ts`)).toBe(true);
  expect(loaded.has(`${src}/transfer/oci-layout.ts`)).toBe(true);
  expect(["node:crypto", "node:zlib", "node:stream", "node:tls", "node:net"].filter((m) => loaded.has(m))).toEqual([]);
});
