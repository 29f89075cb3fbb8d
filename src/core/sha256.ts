/**
 * SHA-256 (FIPS 180-4) of small inputs: chain IDs and image manifests, a few hundred
 * bytes. The core reaches no runtime, so it has one in plain TypeScript; a runtime with a
 * native hash that costs nothing to load (Bun's) hands it over at start-up, as plain code
 * runs cold in a short-lived process: `pull --lazy` of 10 layers spent ~15 ms on its 30
 * hashes. Blobs, which are large, are hashed natively, outside the core (platform/hash.ts).
 */

/** The first 32 bits of the fractional parts of the roots of the first primes. */
function fractions(count: number, root: (p: number) => number): Uint32Array {
  const out = new Uint32Array(count);
  for (let n = 2, i = 0; i < count; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    const r = root(n);
    out[i++] = (r - Math.floor(r)) * 2 ** 32;
  }
  return out;
}

// Made on the first hash, not at load: ~1 ms of a cold start that most commands never hash.
let tables: { K: Uint32Array; H0: Uint32Array } | undefined;
const constants = () => (tables ??= { K: fractions(64, Math.cbrt), H0: fractions(8, Math.sqrt) });
const encoder = new TextEncoder();

let native: ((bytes: Uint8Array) => string) | undefined;

/** Set by the runtime at start-up: the hex SHA-256 of bytes, natively. */
export function useNativeSha256(hex: (bytes: Uint8Array) => string): void {
  native = hex;
}

export function sha256Hex(input: Uint8Array | string): string {
  const data = typeof input === "string" ? encoder.encode(input) : input;
  return native ? native(data) : plainSha256Hex(data);
}

/** The plain TypeScript one. */
export function plainSha256Hex(data: Uint8Array): string {
  // Padding: 0x80, zeros, then the length in bits as a big-endian 64-bit number.
  const blocks = Math.ceil((data.length + 9) / 64);
  const msg = new Uint8Array(blocks * 64);
  msg.set(data);
  msg[data.length] = 0x80;
  const view = new DataView(msg.buffer);
  view.setUint32(msg.length - 8, Math.floor(data.length / 2 ** 29));
  view.setUint32(msg.length - 4, (data.length * 8) >>> 0);

  const { K, H0 } = constants();
  const h = H0.slice();
  const w = new Uint32Array(64);
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(b * 64 + t * 4);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!, y = w[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }
    let [a, bb, c, d, e, f, g, hh] = h as unknown as number[];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e! >>> 6) | (e! << 26)) ^ ((e! >>> 11) | (e! << 21)) ^ ((e! >>> 25) | (e! << 7));
      const ch = (e! & f!) ^ (~e! & g!);
      const t1 = (hh! + S1 + ch + K[t]! + w[t]!) >>> 0;
      const S0 = ((a! >>> 2) | (a! << 30)) ^ ((a! >>> 13) | (a! << 19)) ^ ((a! >>> 22) | (a! << 10));
      const maj = (a! & bb!) ^ (a! & c!) ^ (bb! & c!);
      const t2 = (S0 + maj) >>> 0;
      hh = g; g = f; f = e; e = (d! + t1) >>> 0; d = c; c = bb; bb = a; a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a!) >>> 0; h[1] = (h[1]! + bb!) >>> 0; h[2] = (h[2]! + c!) >>> 0; h[3] = (h[3]! + d!) >>> 0;
    h[4] = (h[4]! + e!) >>> 0; h[5] = (h[5]! + f!) >>> 0; h[6] = (h[6]! + g!) >>> 0; h[7] = (h[7]! + hh!) >>> 0;
  }
  let hex = "";
  for (const x of h) hex += x.toString(16).padStart(8, "0");
  return hex;
}
