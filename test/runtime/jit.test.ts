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

test("on Bun, a marked hot function is never compiled with FTL while its unmarked twin is", async () => {
  // JSC reports each FTL compilation on stderr when asked to by its option. The child runs
  // both functions alike, a round at a time, and says how many rounds it ran; once the
  // unmarked one has reached FTL, the marked one gets as many rounds again (however busy
  // the machine, the same work), then the child is stopped.
  const script = `
    const { perEntry } = await import("${repo}/src/platform/jit.ts");
    await import("${repo}/src/runtime/bun/index.ts");
    function markedHot(x) { let s = 0; for (let i = 0; i < 200; i++) s += (x * i) % 7; return s; }
    function plainHot(x) { let s = 0; for (let i = 0; i < 200; i++) s += (x * i) % 7; return s; }
    perEntry(markedHot);
    let t = 0;
    for (let round = 1; ; round++) {
      for (let i = 0; i < 200000; i++) t += markedHot(i) + plainHot(i);
      console.log(round);
      await Bun.sleep(20);
    }
  `;
  const child = Bun.spawn([process.execPath, "-e", script], {
    env: { ...process.env, BUN_JSC_reportFTLCompileTimes: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "", rounds = 0;
  void (async () => {
    for await (const chunk of child.stderr) log += new TextDecoder().decode(chunk);
  })();
  void (async () => {
    // Whole lines only: a chunk may end in the middle of a number.
    let out = "";
    for await (const chunk of child.stdout) {
      out += new TextDecoder().decode(chunk);
      const lines = out.split("\n");
      out = lines.pop()!;
      if (lines.length) rounds = Number(lines.at(-1));
    }
  })();
  let reached = 0;
  for (const end = Date.now() + 120_000; Date.now() < end && child.exitCode === null; await Bun.sleep(20)) {
    if (!reached && /Optimized plainHot#.* using FTL/.test(log)) reached = Math.max(rounds, 1);
    if (reached && rounds >= 2 * reached) break;
  }
  child.kill();
  await child.exited;
  expect(log).toMatch(/Optimized plainHot#.* using FTL/);
  expect(rounds).toBeGreaterThanOrEqual(2 * reached);
  expect(log).not.toMatch(/Optimized markedHot#.* using FTL/);
}, 180_000);
