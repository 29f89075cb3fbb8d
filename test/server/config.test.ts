/** `strata serve --config`: a GC policy is checked when the file loads, by the rules prune's flags follow. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { readConfig } from "../../src/server/config.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

const load = (toml: string) => {
  writeFileSync(`${dir}/strata.toml`, toml);
  return () => readConfig(`${dir}/strata.toml`);
};

test("a policy as buildkitd writes it loads as written", () => {
  const config = load(`[gc]\ninterval = "5m"\n[[gc.policy]]\nkeepDuration = "48h"\nmaxUsedSpace = "20%"\n`)();
  expect(config.gc?.interval).toBe(300_000);
  expect(config.gcPolicies).toEqual([{ keepDuration: "48h", maxUsedSpace: "20%" }]);
});

test("a size or duration no prune would take fails the load, not the first GC run", () => {
  for (const [line, why] of [
    [`maxUsedSpace = "12QB"`, `invalid size "12QB" (use bytes, 512MB, 10GiB or 20%)`],
    [`minFreeSpace = "150%"`, `invalid size "150%" (a percentage of the filesystem is at most 100%)`],
    [`keepDuration = "3000000h"`, `invalid duration "3000000h" (longer than Go's longest, 2562047h47m16s)`],
  ]) {
    expect(load(`[[gc.policy]]\n${line}\n`)).toThrow(expect.objectContaining({ code: "usage", message: expect.stringContaining(why!) }));
  }
});
