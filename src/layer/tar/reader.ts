/**
 * A streaming tar reader for ustar, GNU (long names `L`/`K`, base-256 numbers) and PAX
 * (`x`/`g` records: path, linkpath, size, uid, gid, mtime, SCHILY.xattr.*). Push chunks
 * in any sizes; entries and their data come out through the sink, synchronously.
 * Anything malformed is an integrity error: a bad checksum, a bad number, a truncation.
 */
import { integrity } from "../../core/errors.ts";
import { type TarEntry, typeFlags } from "./entry.ts";
import { perEntry } from "../../platform/jit.ts";

export interface TarSink {
  entry(e: TarEntry): void;
  /** File data of the current entry, in order; the chunk is only valid during the call. */
  data(chunk: Uint8Array): void;
  /** The current entry's data is complete. */
  end(): void;
}

const corrupt = (why: string) => integrity(`corrupt layer: ${why}`);
const decoder = new TextDecoder();

/** Bytes `from` to `to` as UTF-8; plain ASCII, the usual case, without the decoder. */
function utf8(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) {
    if (b[i]! >= 0x80) return decoder.decode(b.subarray(from, to));
    s += String.fromCharCode(b[i]!);
  }
  return s;
}

/** A NUL-terminated header field. */
function text(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  return utf8(b, start, end);
}

const SPACE = 0x20;

/** An octal field (NUL-terminated, space-padded), or GNU base-256; read from the bytes. */
function number(b: Uint8Array, start: number, len: number, field: string): number {
  if (b[start]! & 0x80) {
    // GNU base-256: big-endian, the first byte's top bit marks the encoding.
    let n = b[start]! & 0x7f;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + b[i]!;
    return n;
  }
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  let i = start;
  while (i < end && b[i] === SPACE) i++;
  while (end > i && b[end - 1] === SPACE) end--;
  let n = 0;
  for (; i < end; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 7) throw corrupt(`${field} is not a number`);
    n = n * 8 + d;
  }
  return n;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]) return false;
  return true;
}

function checksumOk(b: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return number(b, 148, 8, "checksum") === sum;
}

/** PAX records: "LEN key=value\n", LEN counting the whole record. */
export function parsePax(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let at = 0;
  while (at < data.length) {
    let sp = at;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number(utf8(data, at, sp));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw corrupt("bad PAX record");
    const record = data.subarray(sp + 1, at + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw corrupt("bad PAX record");
    out.set(utf8(record, 0, eq), record.subarray(eq + 1));
    at += len;
  }
  return out;
}

type State = "header" | "data" | "skip" | "meta";

export class TarReader {
  private state: State = "header";
  private pending = new Uint8Array(512);
  private have = 0;
  private remaining = 0;
  private padding = 0;
  private meta: { kind: string; parts: Uint8Array[]; size: number } | undefined;
  private pax = new Map<string, Uint8Array>();
  private globalPax = new Map<string, Uint8Array>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private ended = false;
  private entries = 0;

  constructor(private sink: TarSink) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.state === "header") {
        const take = Math.min(512 - this.have, chunk.length - at);
        this.pending.set(chunk.subarray(at, at + take), this.have);
        this.have += take;
        at += take;
        if (this.have === 512) {
          this.have = 0;
          this.header(this.pending);
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - at);
        const part = chunk.subarray(at, at + take);
        at += take;
        this.remaining -= take;
        if (this.state === "data" && take) this.sink.data(part);
        else if (this.state === "meta" && take) this.meta!.parts.push(part.slice());
        if (this.remaining === 0) this.finishData();
      }
    }
  }

  /** Call at end of input: a tar that stops inside an entry is truncated. */
  finish(): void {
    if (this.ended) return;
    if (this.state !== "header" || this.have !== 0) throw corrupt("the archive is truncated");
    if (this.entries === 0) throw corrupt("not a tar archive (no entries, no end marker)");
    // Archives without the two zero blocks end here too; GNU tar accepts them.
  }

  private finishData(): void {
    if (this.state === "data") this.sink.end();
    if (this.state === "meta") this.metaDone();
    if (this.padding) {
      this.state = "skip";
      this.remaining = this.padding;
      this.padding = 0;
      return;
    }
    this.state = "header";
  }

  private header(b: Uint8Array): void {
    if (isZero(b)) {
      this.ended = true; // end of archive; trailing blocks are ignored
      return;
    }
    if (!checksumOk(b)) throw corrupt("bad header checksum");
    this.entries++;
    const flag = String.fromCharCode(b[156]!);
    const size = number(b, 124, 12, "size");
    const padding = (512 - (size % 512)) % 512;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > 64 * 1024 * 1024) throw corrupt("extended header too large");
      this.meta = { kind: flag, parts: [], size };
      this.enter("meta", size, padding);
      return;
    }
    const type = typeFlags[flag];
    const ustar = text(b, 257, 6) === "ustar";
    const gnu = ustar && b[262] === 0x20; // "ustar  " is GNU, "ustar\0" is POSIX
    let path = text(b, 0, 100);
    if (ustar && !gnu && b[345] !== 0) path = `${text(b, 345, 155)}/${path}`;
    let linkname = text(b, 157, 100);
    // Most entries have neither: no new maps for them.
    const pax = this.globalPax.size ? new Map([...this.globalPax, ...this.pax]) : this.pax;
    if (this.pax.size) this.pax = new Map();
    if (this.longName !== undefined) path = this.longName;
    if (this.longLink !== undefined) linkname = this.longLink;
    this.longName = this.longLink = undefined;
    const str = (k: string) => (pax.has(k) ? decoder.decode(pax.get(k)) : undefined);
    path = str("path") ?? path;
    linkname = str("linkpath") ?? linkname;
    const paxSize = str("size");
    const realSize = paxSize !== undefined ? Number(paxSize) : size;
    if (!Number.isSafeInteger(realSize) || realSize < 0) throw corrupt("bad size");
    const realPadding = (512 - (realSize % 512)) % 512;

    if (!type) {
      // Unknown entry types (sparse, volume labels) are not ours to apply: skip their data.
      this.enter("skip", realSize, realPadding);
      return;
    }
    const xattrs = new Map<string, Uint8Array>();
    for (const [k, v] of pax) if (k.startsWith("SCHILY.xattr.")) xattrs.set(k.slice(13), v);
    const mtime = str("mtime");
    const e: TarEntry = {
      path,
      type,
      mode: number(b, 100, 8, "mode") & 0o7777,
      uid: Number(str("uid") ?? number(b, 108, 8, "uid")),
      gid: Number(str("gid") ?? number(b, 116, 8, "gid")),
      size: type === "file" ? realSize : 0,
      mtimeNs: mtime !== undefined ? paxTime(mtime) : BigInt(number(b, 136, 12, "mtime")) * 1_000_000_000n,
      linkname,
      devmajor: ustar ? number(b, 329, 8, "devmajor") : 0,
      devminor: ustar ? number(b, 337, 8, "devminor") : 0,
      xattrs,
    };
    this.sink.entry(e);
    if (type === "file") {
      if (realSize === 0) {
        this.sink.end();
        this.state = "header";
      } else this.enter("data", realSize, realPadding);
    } else if (realSize > 0) this.enter("skip", realSize, realPadding);
  }

  private enter(state: State, size: number, padding: number) {
    if (size === 0) {
      this.state = state;
      this.remaining = 0;
      this.padding = padding;
      this.finishData();
      return;
    }
    this.state = state;
    this.remaining = size;
    this.padding = padding;
  }

  private metaDone(): void {
    const m = this.meta!;
    this.meta = undefined;
    const data = new Uint8Array(m.size);
    let o = 0;
    for (const p of m.parts) {
      data.set(p, o);
      o += p.length;
    }
    if (m.kind === "x") this.pax = parsePax(data);
    else if (m.kind === "g") for (const [k, v] of parsePax(data)) this.globalPax.set(k, v);
    else {
      const s = decoder.decode(data).replace(/\0+$/, "");
      if (m.kind === "L") this.longName = s;
      else this.longLink = s;
    }
  }
}

/** PAX times are decimal seconds with an optional fraction. */
function paxTime(s: string): bigint {
  const m = s.match(/^(-?)(\d+)(?:\.(\d{1,9})\d*)?$/);
  if (!m) throw corrupt("bad PAX time");
  const ns = BigInt(m[2]!) * 1_000_000_000n + BigInt((m[3] ?? "").padEnd(9, "0") || "0");
  return m[1] ? -ns : ns;
}

perEntry(number, checksumOk, utf8, text, TarReader.prototype.push, TarReader.prototype["header"]);
