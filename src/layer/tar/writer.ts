/**
 * Tar headers for export: POSIX ustar, with a PAX header first whenever a field does not
 * fit (long or non-ASCII names, nanosecond times, xattrs, large numbers). Reproducible:
 * no atime or ctime, no user or group names, the same bytes for the same tree.
 * Written straight into byte buffers: export builds thousands of these.
 */
import { type TarEntry, flagOf } from "./entry.ts";
import { perEntry } from "../../runtime/jit.ts";

const encoder = new TextEncoder();
const BLOCK = 512;
const ASCII = /^[\x20-\x7e]*$/;
/** POSIX ustar: "ustar\0" and version "00". */
const MAGIC = new Uint8Array([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]);

/** Writes a printable ASCII string; false (and nothing written) if it is not one or does not fit. */
function ascii(b: Uint8Array, s: string, at: number, len: number): boolean {
  if (s.length > len) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  return true;
}

/** Zero-padded octal in len-1 digits and a NUL; false if it did not fit. */
function octal(b: Uint8Array, n: number, at: number, len: number): boolean {
  const digits = len - 1;
  if (n < 0 || n >= 8 ** digits) return false;
  for (let i = digits - 1; i >= 0; i--) {
    b[at + i] = 0x30 + (n % 8);
    n = Math.floor(n / 8);
  }
  return true;
}

interface Fields {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  seconds: number;
  flag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}

/** One ustar block; `fits` says whether every value was written as it is. */
function ustar(name: string, f: Fields): { b: Uint8Array; fits: boolean } {
  const b = new Uint8Array(BLOCK);
  let fits = ascii(b, name, 0, 100);
  if (!fits) ascii(b, name.replace(/[^\x20-\x7e]/g, "_").slice(0, 100), 0, 100);
  octal(b, f.mode & 0o7777, 100, 8);
  fits = octal(b, f.uid, 108, 8) && fits;
  fits = octal(b, f.gid, 116, 8) && fits;
  fits = octal(b, f.size, 124, 12) && fits;
  octal(b, Math.max(0, f.seconds), 136, 12);
  b[156] = f.flag.charCodeAt(0);
  if (!ascii(b, f.linkname, 157, 100)) {
    fits = false;
    ascii(b, f.linkname.replace(/[^\x20-\x7e]/g, "_").slice(0, 100), 157, 100);
  }
  b.set(MAGIC, 257);
  octal(b, f.devmajor, 329, 8);
  octal(b, f.devminor, 337, 8);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  octal(b, sum, 148, 7);
  b[155] = 0x20;
  return { b, fits };
}

/** "LEN key=value\n", LEN counting itself. */
function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const k = encoder.encode(key);
  const body = k.length + value.length + 3; // space, '=', newline
  let len = body + 1;
  while (String(len).length + body !== len) len++;
  const out = new Uint8Array(len);
  const prefix = `${len} `;
  ascii(out, prefix, 0, prefix.length);
  let at = prefix.length;
  out.set(k, at);
  at += k.length;
  out[at++] = 0x3d;
  out.set(value, at);
  out[len - 1] = 0x0a;
  return out;
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function nsString(ns: bigint): string {
  const s = ns / 1_000_000_000n, f = ns % 1_000_000_000n;
  return f === 0n ? String(s) : `${s}.${String(f).padStart(9, "0").replace(/0+$/, "")}`;
}

/** The header blocks for an entry (PAX first when needed); data and padding follow. */
export function headerFor(e: TarEntry): Uint8Array {
  const size = e.type === "file" ? e.size : 0;
  const seconds = Number(e.mtimeNs / 1_000_000_000n);
  const fields: Fields = {
    mode: e.mode, uid: e.uid, gid: e.gid, size, seconds, flag: flagOf[e.type],
    linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor,
  };
  const exactTime = e.mtimeNs % 1_000_000_000n === 0n && e.mtimeNs >= 0n;
  // Most entries of a real tree carry nanosecond times: those go straight to PAX
  // without building a plain header first.
  if (exactTime && e.xattrs.size === 0) {
    const plain = ustar(e.path, fields);
    if (plain.fits) return plain.b;
  }

  const records: Uint8Array[] = [];
  const str = (s: string) => encoder.encode(s);
  if (e.path.length > 100 || !ASCII.test(e.path)) records.push(paxRecord("path", str(e.path)));
  if (e.linkname.length > 100 || !ASCII.test(e.linkname)) records.push(paxRecord("linkpath", str(e.linkname)));
  if (e.uid >= 0o7777777) records.push(paxRecord("uid", str(String(e.uid))));
  if (e.gid >= 0o7777777) records.push(paxRecord("gid", str(String(e.gid))));
  if (size >= 0o77777777777) records.push(paxRecord("size", str(String(size))));
  if (!exactTime) records.push(paxRecord("mtime", str(nsString(e.mtimeNs))));
  for (const k of [...e.xattrs.keys()].sort()) records.push(paxRecord(`SCHILY.xattr.${k}`, e.xattrs.get(k)!));
  let paxLen = 0;
  for (const r of records) paxLen += r.length;

  // Readers take the real values from the PAX records; the ustar fields hold stand-ins.
  const leaf = e.path.slice(e.path.lastIndexOf("/", e.path.length - 2) + 1);
  const paxHeader = ustar(`PaxHeaders/${leaf}`.slice(0, 100), { ...fields, flag: "x", size: paxLen, linkname: "", uid: 0, gid: 0 }).b;
  const stand = ustar(e.path, {
    ...fields, uid: Math.min(e.uid, 0o7777777), gid: Math.min(e.gid, 0o7777777), size: size >= 0o77777777777 ? 0 : size,
  }).b;
  const out = new Uint8Array(BLOCK + paxLen + pad(paxLen) + BLOCK);
  out.set(paxHeader, 0);
  let at = BLOCK;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  out.set(stand, BLOCK + paxLen + pad(paxLen));
  return out;
}

/** Zero padding after `size` bytes of data. */
export const padding = (size: number) => new Uint8Array(pad(size));

/** The end of an archive: two zero blocks. */
export const trailer = () => new Uint8Array(2 * BLOCK);

perEntry(ustar, octal, ascii, headerFor);
