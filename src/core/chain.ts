/**
 * OCI chain IDs (SPEC §2): ChainID(L0) = DiffID(L0); ChainID(L0..n) =
 * sha256(ChainID(L0..n-1) + " " + DiffID(Ln)), over the `sha256:<hex>` strings.
 * blobChainID is the same over pairs ChainID(blob, diffID) = sha256(blob + " " + diffID).
 */
import { sha256Hex } from "./sha256.ts";

const sha = (s: string) => `sha256:${sha256Hex(s)}`;

export function chainID(parent: string | null, diffID: string): string {
  return parent ? sha(`${parent} ${diffID}`) : diffID;
}

export function blobChainID(parent: string | null, blob: string, diffID: string): string {
  const pair = sha(`${blob} ${diffID}`);
  return parent ? sha(`${parent} ${pair}`) : pair;
}
