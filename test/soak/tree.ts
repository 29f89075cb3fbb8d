/** What a flat tree holds, file by file, for checking it later. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export function treeHash(dir: string): string {
  const h = createHash("sha256");
  for (const f of readdirSync(dir).sort()) h.update(`${f}\0`).update(readFileSync(`${dir}/${f}`));
  return h.digest("hex");
}
