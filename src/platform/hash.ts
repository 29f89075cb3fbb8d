/**
 * A native hash of bytes given in pieces, on this thread. On Bun it is
 * `Bun.CryptoHasher`: loading node:crypto costs a fresh Bun process ~12 ms, and every
 * command is a fresh process. Elsewhere (Deno) it is node:crypto's.
 *
 *     const h = hasher("sha256");
 *     for await (const chunk of source) h.update(chunk);
 *     h.hex(); // "e3b0c442…"
 */
import process from "node:process";

declare const Bun: { CryptoHasher: new (algorithm: string) => Hasher & { digest(encoding: "hex"): string } } | undefined;

export interface Hasher {
  update(bytes: Uint8Array): void;
  /** The digest of everything given, in lower-case hex; the hasher is done after. */
  hex(): string;
}

export function hasher(algorithm: "sha256" | "sha512"): Hasher {
  if (typeof Bun !== "undefined") {
    const h = new Bun.CryptoHasher(algorithm);
    return { update: (b) => void h.update(b), hex: () => h.digest("hex") };
  }
  const h = process.getBuiltinModule("node:crypto").createHash(algorithm);
  return { update: (b) => void h.update(b), hex: () => h.digest("hex") };
}

/** The hex digest of one piece of bytes. */
export const hashHex = (algorithm: "sha256" | "sha512", bytes: Uint8Array): string => {
  const h = hasher(algorithm);
  h.update(bytes);
  return h.hex();
};
