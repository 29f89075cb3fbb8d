/**
 * `strata serve --config FILE`: JSON or TOML. The GC policy list reads like buildkitd's
 * `gcpolicy`; without one, defaults are derived from the filesystem's size as
 * buildkitd derives them.
 *
 *   [gc]
 *   interval = "5m"
 *   [[gc.policy]]
 *   filter = ["type==source.local", "type==exec.cachemount"]
 *   keepDuration = "48h"
 *   maxUsedSpace = "512MB"
 */
import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import * as v from "valibot";
import { duration, pruneInput } from "../api/schemas.ts";
import { validate } from "../api/validate.ts";
import { usage } from "../core/errors.ts";

/** A policy is a prune without the flags that only make sense at a terminal. */
const policy = v.omit(pruneInput, ["dryRun", "verbose"]);

const config = v.strictObject({
  gc: v.optional(v.strictObject({
    enabled: v.optional(v.boolean()),
    interval: v.optional(duration),
    /** The shortest time between two runs (default 1m). */
    minGap: v.optional(duration),
    policy: v.optional(v.array(policy)),
  })),
});

/** A policy as written: raw prune input, passed on as it is to whatever runs the prune. */
export type RawPolicy = v.InferInput<typeof policy>;
export type Config = v.InferOutput<typeof config> & { gcPolicies?: RawPolicy[] };

export function readConfig(file: string | undefined): Config {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw usage(`cannot read config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    throw usage(`config ${file} is not valid ${file.endsWith(".json") ? "JSON" : "TOML"}: ${(err as Error).message.split("\n")[0]}`);
  }
  const checked = validate(config, raw);
  const policies = (raw as { gc?: { policy?: RawPolicy[] } }).gc?.policy;
  return { ...checked, gcPolicies: policies };
}

const GB = 1e9;

/** buildkitd's defaults: reserved 10% (at most 10 GB), max used 60% (at most 100 GB), min free 20%. */
export function defaultPolicies(fsSize: number): RawPolicy[] {
  const reservedSpace = String(Math.min(Math.floor(fsSize * 0.1), 10 * GB));
  const maxUsedSpace = String(Math.min(Math.floor(fsSize * 0.6), 100 * GB));
  const minFreeSpace = String(Math.floor(fsSize * 0.2));
  const space = { reservedSpace, maxUsedSpace, minFreeSpace };
  return [
    { filter: ["type==source.local", "type==exec.cachemount", "type==source.git.checkout"], keepDuration: "48h", maxUsedSpace: "512MB" },
    { keepDuration: "1440h", ...space },
    { ...space },
    { all: true, ...space },
  ];
}
