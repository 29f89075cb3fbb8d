/**
 * Checking bytes against a descriptor while they stream. Only sha256 is verified; any
 * other algorithm is refused rather than passed on unchecked. Hashing is native
 * (platform/hash.ts), since blobs are large; a byte more than the descriptor's size
 * fails at once, so a lying server cannot make us read forever.
 *
 *     const v = new Verifier(desc, "blob sha256:… of host/repo");
 *     for await (const c of body) { v.update(c); write(c); }
 *     v.finish(); // throws integrity if the digest or size is not the descriptor's
 */
import { integrity, invalid } from "../core/errors.ts";
import { type Hasher, hasher, hashHex } from "../platform/hash.ts";

/** The hex of a sha256 digest; anything else is invalid here. */
export function digestHex(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw invalid(`unsupported digest ${JSON.stringify(digest)}: only sha256 is verified`);
  return m[1]!;
}

/** The digest of a small document (a manifest, a config). */
export const digestOf = (bytes: Uint8Array) => `sha256:${hashHex("sha256", bytes)}`;

export class Verifier {
  private hash: Hasher = hasher("sha256");
  private seen = 0;
  private readonly hex: string;

  constructor(private readonly want: { digest: string; size: number }, private readonly what: string) {
    this.hex = digestHex(want.digest);
  }

  /** Bytes hashed so far. */
  get count(): number {
    return this.seen;
  }

  update(chunk: Uint8Array): void {
    if (this.seen + chunk.length > this.want.size) {
      throw integrity(`${this.what}: more than the ${this.want.size} bytes its descriptor says`);
    }
    this.hash.update(chunk);
    this.seen += chunk.length;
  }

  finish(): void {
    if (this.seen !== this.want.size) {
      throw integrity(`${this.what}: ${this.seen} bytes where its descriptor says ${this.want.size}`);
    }
    const got = this.hash.hex();
    if (got !== this.hex) throw integrity(`${this.what}: content is sha256:${got}, not ${this.want.digest}`);
  }
}
