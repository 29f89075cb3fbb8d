/** Per-entry functions: marked by the layer modules, kept out of JSC's top tier on Bun. */
import { expect, test } from "bun:test";
import { repo } from "../helpers/env.ts";

test("functions marked before and after the runtime sets the mark all reach it", async () => {
  // A fresh instance of the module: this process's runtime has set the shared one's mark.
  const fresh = "../../src/platform/jit.ts?fresh";
  const { perEntry, setPerEntryMark }: typeof import("../../src/platform/jit.ts") = await import(fresh);
  const early = () => 1, late = () => 2;
  perEntry(early);
  const marked: unknown[] = [];
  setPerEntryMark((fn) => void marked.push(fn));
  perEntry(late);
  expect(marked).toContain(early);
  expect(marked).toContain(late);
});

test("on Bun, a marked hot function is never compiled with FTL while its unmarked twin is", () => {
  // JSC reports each FTL compilation on stderr when asked to by its option.
  const script = `
    const { perEntry } = await import("${repo}/src/platform/jit.ts");
    await import("${repo}/src/runtime/bun/index.ts");
    function markedHot(x) { let s = 0; for (let i = 0; i < 200; i++) s += (x * i) % 7; return s; }
    function plainHot(x) { let s = 0; for (let i = 0; i < 200; i++) s += (x * i) % 7; return s; }
    perEntry(markedHot);
    // Long enough for the top tier to compile plainHot even on a busy machine.
    let t = 0;
    const until = performance.now() + 1500;
    while (performance.now() < until) {
      for (let i = 0; i < 200000; i++) t += markedHot(i) + plainHot(i);
      await Bun.sleep(20);
    }
    console.log(t);
  `;
  const r = Bun.spawnSync([process.execPath, "-e", script], {
    env: { ...process.env, BUN_JSC_reportFTLCompileTimes: "1" },
  });
  const log = r.stdout.toString() + r.stderr.toString();
  expect(r.exitCode).toBe(0);
  expect(log).toMatch(/Optimized plainHot#.* using FTL/);
  expect(log).not.toMatch(/Optimized markedHot#.* using FTL/);
});
