/**
 * Replays BuildKit's TestLazyCommit: commit leaves a twin pair that a get does not
 * finalize; GetMutable (reopen) is locked while either half is held, brings the mutable
 * back (deleting the committed half) when neither is, and is not found once finalized.
 *
 * strata differs: BuildKit's restart frees every ref, because its refs live in memory;
 * strata's handed-out holds live in SQLite with an expiry and survive the process (SPEC
 * §3.5). Each CLI call is a new process, so the restart is replayed as "a new process
 * still sees the hold", and the freeing as release or expiry.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { cleanup, exitOf, fails, type Fresh, fresh, hold, ok, unhold } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

/** A retained mutable record with a file, and its held committed twin. */
function pair(root: string, holdFor = "1h") {
  const m = ok(root, "new", "--retain");
  writeFileSync(`${m.path}/f`, m.id);
  return { m, i: ok(root, "commit", m.id, "--hold", holdFor) };
}

test("TestLazyCommit: reopen is locked while either twin is held, works when neither is, and is not found after finalize", () => {
  const root = t.root;
  const { m, i } = pair(root);
  fails(root, 4, "reopen", m.id);
  const l1 = hold(root, i.id);
  expect(ok(root, "info", i.id).id).toBe(i.id);
  ok(root, "release", i.id);
  unhold(root, l1);

  // A get of the unheld pair does not finalize it.
  expect(ok(root, "path", i.id).id).toBe(i.id);
  const again = ok(root, "path", i.id, "--hold", "1h");
  expect(again.id).toBe(i.id);
  fails(root, 4, "reopen", m.id);
  ok(root, "release", i.id);
  expect(ok(root, "reopen", m.id)).toMatchObject({ id: m.id, mutable: true });
  fails(root, 3, "info", i.id);

  const i2 = ok(root, "commit", m.id, "--hold", "1h");
  // Finalize: becoming a parent (SPEC §3.2); strata has no Finalize command.
  const child = ok(root, "new", "--parent", i2.id);
  expect(ok(root, "release", child.id).deleted).toBe(true);
  ok(root, "release", i2.id);
  fails(root, 3, "reopen", m.id);
  expect(ok(root, "path", i2.id, "--hold", "1h").id).toBe(i2.id);
  ok(root, "release", i2.id);
});

test("TestLazyCommit: a hold handed out survives the process that took it (BuildKit's restart frees it; SPEC §3.5 keeps it)", () => {
  const root = t.root;
  const { m: n, i: j } = pair(root);
  // Every call is a new process: the commit's hold is still there.
  fails(root, 4, "reopen", n.id);
  ok(root, "release", j.id);
  expect(ok(root, "reopen", n.id)).toMatchObject({ id: n.id, mutable: true });
  fails(root, 3, "info", j.id);

  // Committed without a hold, then finalized by export: the mutable is gone for good.
  const j2 = ok(root, "commit", n.id);
  ok(root, "export", j2.id, "--compression", "gzip");
  fails(root, 3, "reopen", n.id);
  expect(ok(root, "info", j2.id).id).toBe(j2.id);
});

test("TestLazyCommit: when the committed twin's hold expires, reopen brings the mutable back", () => {
  const root = t.root;
  const { m, i } = pair(root, "3s");
  // Held at first; wait for the expiry (bounded); until then reopen may only say locked.
  let code = exitOf(root, "reopen", m.id);
  expect(code).toBe(4);
  const deadline = Date.now() + 30_000;
  while (code === 4 && Date.now() < deadline) {
    Bun.sleepSync(100);
    code = exitOf(root, "reopen", m.id);
  }
  expect(code).toBe(0);
  fails(root, 3, "info", i.id);
  expect(ok(root, "info", m.id)).toMatchObject({ mutable: true, inUse: true });
  ok(root, "release", m.id);
});
