/**
 * Tar headers for export: POSIX ustar, with a PAX header first whenever a field does not
 * fit (long or non-ASCII names, nanosecond times, xattrs, large numbers). Reproducible:
 * no atime or ctime, no user or group names, the same bytes for the same tree.
 */
import { type TarEntry, flagOf } from "./entry.ts";

const encoder = new TextEncoder();
const BLOCK = 512;

function put(b: Uint8Array, s: string | Uint8Array, at: number, len: number) {
  const bytes = typeof s === "string" ? encoder.encode(s) : s;
  b.set(bytes.subarray(0, len), at);
}

function octal(b: Uint8Array, n: number, at: number, len: number): boolean {
  const s = n.toString(8);
  if (s.length > len - 1) return false;
  put(b, s.padStart(len - 1, "0"), at, len - 1);
  return true;
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = new Uint8Array([...encoder.encode(` ${key}=`), ...value, 0x0a]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  const out = new Uint8Array(len);
  out.set(encoder.encode(String(len)));
  out.set(body, String(len).length);
  return out;
}

function block(name: string, e: Pick<TarEntry, "mode" | "uid" | "gid" | "mtimeNs" | "linkname" | "devmajor" | "devminor">, flag: string, size: number): { b: Uint8Array; fits: boolean } {
  const b = new Uint8Array(BLOCK);
  const nameBytes = encoder.encode(name);
  let fits = nameBytes.length <= 100 && encoder.encode(e.linkname).length <= 100;
  put(b, nameBytes, 0, 100);
  octal(b, e.mode & 0o7777, 100, 8);
  fits = octal(b, e.uid, 108, 8) && fits;
  fits = octal(b, e.gid, 116, 8) && fits;
  fits = octal(b, size, 124, 12) && fits;
  const secs = e.mtimeNs / 1_000_000_000n;
  fits = octal(b, Number(secs < 0n ? 0n : secs), 136, 12) && fits;
  b[156] = flag.charCodeAt(0);
  put(b, e.linkname, 157, 100);
  put(b, "ustar\x0000", 257, 8);
  octal(b, e.devmajor, 329, 8);
  octal(b, e.devminor, 337, 8);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return { b, fits };
}

const asciiCut = (s: string, n: number) => s.replace(/[^\x20-\x7e]/g, "_").slice(0, n);
const whole = (ns: bigint) => (ns < 0n ? 0n : ns - (ns % 1_000_000_000n));

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function nsString(ns: bigint): string {
  const s = ns / 1_000_000_000n, f = ns % 1_000_000_000n;
  return f === 0n ? String(s) : `${s}.${String(f).padStart(9, "0").replace(/0+$/, "")}`;
}

/** The header blocks for an entry (PAX first when needed); data and padding follow. */
export function headerFor(e: TarEntry): Uint8Array {
  const size = e.type === "file" ? e.size : 0;
  const flag = flagOf[e.type];
  const ascii = /^[\x20-\x7e]*$/;
  const plain = block(e.path, e, flag, size);
  const records: Uint8Array[] = [];
  if (!plain.fits || !ascii.test(e.path) || !ascii.test(e.linkname) || e.mtimeNs % 1_000_000_000n !== 0n || e.xattrs.size) {
    const v = (s: string) => encoder.encode(s);
    if (encoder.encode(e.path).length > 100 || !ascii.test(e.path)) records.push(paxRecord("path", v(e.path)));
    if (encoder.encode(e.linkname).length > 100 || !ascii.test(e.linkname)) records.push(paxRecord("linkpath", v(e.linkname)));
    if (e.uid >= 0o7777777) records.push(paxRecord("uid", v(String(e.uid))));
    if (e.gid >= 0o7777777) records.push(paxRecord("gid", v(String(e.gid))));
    if (size >= 0o77777777777) records.push(paxRecord("size", v(String(size))));
    if (e.mtimeNs % 1_000_000_000n !== 0n || e.mtimeNs < 0n) records.push(paxRecord("mtime", v(nsString(e.mtimeNs))));
    for (const [k, val] of [...e.xattrs].sort(([a], [b]) => (a < b ? -1 : 1))) records.push(paxRecord(`SCHILY.xattr.${k}`, val));
  }
  if (!records.length) return plain.b;
  const paxData = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of records) {
    paxData.set(r, at);
    at += r.length;
  }
  // Readers take the real values from the PAX records; the ustar fields get a short
  // ASCII stand-in. The PAX header's own name is conventional.
  const paxHeader = block(`PaxHeaders/${asciiCut(e.path.split("/").pop() ?? "", 80)}`, { ...e, linkname: "", mtimeNs: whole(e.mtimeNs) }, "x", paxData.length).b;
  const stand = { ...e, linkname: asciiCut(e.linkname, 100), uid: Math.min(e.uid, 0o7777777), gid: Math.min(e.gid, 0o7777777), mtimeNs: whole(e.mtimeNs) };
  const truncated = block(asciiCut(e.path, 100), stand, flag, size >= 0o77777777777 ? 0 : size).b;
  const out = new Uint8Array(BLOCK + paxData.length + pad(paxData.length) + BLOCK);
  out.set(paxHeader, 0);
  out.set(paxData, BLOCK);
  out.set(truncated, BLOCK + paxData.length + pad(paxData.length));
  return out;
}

/** Zero padding after `size` bytes of data. */
export const padding = (size: number) => new Uint8Array(pad(size));

/** The end of an archive: two zero blocks. */
export const trailer = () => new Uint8Array(2 * BLOCK);
