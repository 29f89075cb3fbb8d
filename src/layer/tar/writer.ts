/**
 * Tar headers for export: POSIX ustar, with a PAX header first whenever a field does not
 * fit (long or non-ASCII names, nanosecond times, xattrs, large numbers). Reproducible:
 * no atime or ctime, no user or group names, the same bytes for the same tree.
 * Written straight into byte buffers: export builds thousands of these.
 */
import { type TarEntry, flagOf } from "./entry.ts";
import { perEntry } from "../../platform/jit.ts";

const encoder = new TextEncoder();
const BLOCK = 512;
const ASCII = /^[\x20-\x7e]*$/;
/** POSIX ustar: "ustar\0" and version "00". */
const MAGIC = new Uint8Array([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]);

/** Writes a printable ASCII string; the sum of its bytes, or -1 (nothing left written) if it is not one or does not fit. */
function ascii(b: Uint8Array, s: string, at: number, len: number): number {
  if (s.length > len) return -1;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      b.fill(0, at, at + i);
      return -1;
    }
    b[at + i] = c;
    sum += c;
  }
  return sum;
}

/** Zero-padded octal in len-1 digits and a NUL; the sum of its bytes, or -1 (nothing written) if it did not fit. */
function octal(b: Uint8Array, n: number, at: number, len: number): number {
  const digits = len - 1;
  if (n < 0 || n >= 8 ** digits) return -1;
  let sum = 0;
  for (let i = digits - 1; i >= 0; i--) {
    const d = 0x30 + (n % 8);
    b[at + i] = d;
    sum += d;
    n = Math.floor(n / 8);
  }
  return sum;
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

const MAGIC_SUM = MAGIC.reduce((a, c) => a + c, 0);
const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, "_").slice(0, 100);

/**
 * One ustar block at `b[at]`, which must be zeros; whether every value was written as
 * it is. The checksum adds up the bytes as they are written, not the block again.
 */
function ustar(b: Uint8Array, at: number, name: string, f: Fields): boolean {
  let fits = true;
  let sum = ascii(b, name, at, 100);
  if (sum < 0) {
    fits = false;
    sum = Math.max(0, ascii(b, printable(name), at, 100));
  }
  // A value that does not fit leaves its field zero (octal's -1): uid, gid and size
  // then go in PAX records too.
  const uid = octal(b, f.uid, at + 108, 8);
  const gid = octal(b, f.gid, at + 116, 8);
  const size = octal(b, f.size, at + 124, 12);
  if (uid < 0 || gid < 0 || size < 0) fits = false;
  sum += Math.max(0, octal(b, f.mode & 0o7777, at + 100, 8)) + Math.max(0, uid) + Math.max(0, gid) + Math.max(0, size);
  sum += Math.max(0, octal(b, Math.max(0, f.seconds), at + 136, 12));
  const flag = f.flag.charCodeAt(0);
  b[at + 156] = flag;
  sum += flag;
  let link = ascii(b, f.linkname, at + 157, 100);
  if (link < 0) {
    fits = false;
    link = Math.max(0, ascii(b, printable(f.linkname), at + 157, 100));
  }
  sum += link;
  b.set(MAGIC, at + 257);
  sum += MAGIC_SUM;
  sum += Math.max(0, octal(b, f.devmajor, at + 329, 8)) + Math.max(0, octal(b, f.devminor, at + 337, 8));
  // The checksum counts its own field as eight spaces; six digits, then two spaces.
  octal(b, sum + 8 * 0x20, at + 148, 7);
  b[at + 154] = 0x20;
  b[at + 155] = 0x20;
  return fits;
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

/** The same for an ASCII key and value, as a string. */
function paxText(key: string, value: string): string {
  const body = key.length + value.length + 3;
  let len = body + 1;
  while (String(len).length + body !== len) len++;
  return `${len} ${key}=${value}\n`;
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/**
 * Whole seconds (the ustar field) and, unless the time is a whole second from 1970 on,
 * the PAX `mtime` value. The digits are cut from the decimal string: bigint division
 * is slow in JSC, and export asks for every entry.
 */
function timeOf(ns: bigint): [seconds: number, pax: string | undefined] {
  if (ns < 0n) {
    const s = ns / 1_000_000_000n, f = ns % 1_000_000_000n;
    return [Number(s), f === 0n ? String(s) : `${s}.${String(f).padStart(9, "0").replace(/0+$/, "")}`];
  }
  const d = ns.toString().padStart(10, "0");
  const whole = d.slice(0, -9);
  let end = d.length;
  while (end > d.length - 9 && d.charCodeAt(end - 1) === 0x30) end--;
  return [Number(whole), end === d.length - 9 ? undefined : `${whole}.${d.slice(d.length - 9, end)}`];
}

/** Headers are built in one buffer, reused: export builds thousands of them. */
let scratch = new Uint8Array(4 * BLOCK);
function zeroed(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(n);
  scratch.fill(0, 0, n);
  return scratch.subarray(0, n);
}

/**
 * The header blocks for an entry (PAX first when needed); data and padding follow.
 * The bytes are valid until the next call.
 */
export function headerFor(e: TarEntry): Uint8Array {
  const size = e.type === "file" ? e.size : 0;
  const [seconds, mtime] = timeOf(e.mtimeNs);
  const fields: Fields = {
    mode: e.mode, uid: e.uid, gid: e.gid, size, seconds, flag: flagOf[e.type],
    linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor,
  };
  const exactTime = mtime === undefined;
  // Most entries of a real tree carry nanosecond times: those go straight to PAX
  // without building a plain header first.
  if (exactTime && e.xattrs.size === 0) {
    const plain = zeroed(BLOCK);
    if (ustar(plain, 0, e.path, fields)) return plain;
  }

  const records: (string | Uint8Array)[] = [];
  if (e.path.length > 100 || !ASCII.test(e.path)) records.push(paxRecord("path", encoder.encode(e.path)));
  if (e.linkname.length > 100 || !ASCII.test(e.linkname)) records.push(paxRecord("linkpath", encoder.encode(e.linkname)));
  if (e.uid >= 0o7777777) records.push(paxText("uid", String(e.uid)));
  if (e.gid >= 0o7777777) records.push(paxText("gid", String(e.gid)));
  if (size >= 0o77777777777) records.push(paxText("size", String(size)));
  if (mtime !== undefined) records.push(paxText("mtime", mtime));
  for (const k of [...e.xattrs.keys()].sort()) records.push(paxRecord(`SCHILY.xattr.${k}`, e.xattrs.get(k)!));
  let paxLen = 0;
  for (const r of records) paxLen += r.length;

  // Readers take the real values from the PAX records; the ustar fields hold stand-ins.
  const out = zeroed(BLOCK + paxLen + pad(paxLen) + BLOCK);
  const leaf = e.path.slice(e.path.lastIndexOf("/", e.path.length - 2) + 1);
  ustar(out, 0, `PaxHeaders/${leaf}`.slice(0, 100), {
    mode: e.mode, uid: 0, gid: 0, size: paxLen, seconds, flag: "x", linkname: "", devmajor: e.devmajor, devminor: e.devminor,
  });
  let at = BLOCK;
  for (const r of records) {
    if (typeof r === "string") encoder.encodeInto(r, out.subarray(at));
    else out.set(r, at);
    at += r.length;
  }
  fields.uid = Math.min(e.uid, 0o7777777);
  fields.gid = Math.min(e.gid, 0o7777777);
  if (size >= 0o77777777777) fields.size = 0;
  ustar(out, BLOCK + paxLen + pad(paxLen), e.path, fields);
  return out;
}

/** How many zero bytes pad `size` bytes of data to a block. */
export const padding = (size: number) => pad(size);

/** The end of an archive: two zero blocks. */
export const trailer = () => new Uint8Array(2 * BLOCK);

perEntry(ustar, octal, ascii, headerFor, paxText, timeOf);
