/**
 * Replays BuildKit's TestMountReadOnly: a held mutable record is writable; once committed,
 * its record is only ever handed out read-only, even when asked for read-write; the same
 * for a child of the committed record.
 *
 * strata differs: BuildKit's holder of a mutable ref may also mount it read-only; strata has
 * no caller identity, so `path` of a held mutable is a get and is locked (SPEC §3.3). Asked
 * read-write, an immutable record is refused as invalid (exit 5; SPEC silent) where BuildKit
 * silently mounts it read-only. With the native snapshotter "read-only" is a promise the
 * CLI keeps, not a mount option, so the overlay variant's mount-option checks are not
 * replayed here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { cleanup, fails, type Fresh, fresh, ok } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestMountReadOnly: a held mutable is writable; a committed record and its child's commit are never handed out read-write", () => {
  const root = t.root;
  let parent: string | undefined;
  for (const round of ["base", "child"]) {
    const m = ok(root, "new", ...(parent ? ["--parent", parent] : []));
    const rw = ok(root, "path", m.id, "--rw");
    expect(rw.path).toBe(m.path);
    writeFileSync(`${rw.path}/${round}`, round);
    fails(root, 4, "path", m.id);

    const i = ok(root, "commit", m.id, "--hold", "1h");
    const view = ok(root, "path", i.id);
    expect(existsSync(`${view.path}/${round}`)).toBe(true);
    if (parent) expect(existsSync(`${view.path}/base`)).toBe(true);
    fails(root, 5, "path", i.id, "--rw");
    parent = i.id;
  }
});
