/**
 * gzip decompression through the system's zlib (bun:ffi), where the host has libz.so.1.
 * Per 100 MB layer it inflates on the reading thread into buffers the caller picks,
 * where node:zlib's stream inflated on Bun's pool threads into a fresh 256 KiB buffer
 * per chunk: the fresh memory (~5,000 page faults) and the stream's callbacks cost more
 * than inflating. Without libz.so.1, `inflate` is undefined and layers go through node:zlib.
 *
 * As node:zlib's gunzip (the fallback) reads them: a stream may hold several gzip
 * members one after another, and a zero byte after a member ends the stream, whatever
 * follows it (padding); anything else there must be another member.
 */
import { CString, dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import type { Inflate, NativeStream } from "../../layer/compression.ts";

const open = () =>
  dlopen("libz.so.1", {
    zlibVersion: { args: [], returns: FFIType.ptr },
    inflateInit2_: { args: [FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    inflate: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    inflateReset: { args: [FFIType.ptr], returns: FFIType.i32 },
    inflateEnd: { args: [FFIType.ptr], returns: FFIType.i32 },
  }).symbols;

type Lib = ReturnType<typeof open>;

/** z_stream on LP64: its size, and where its fields are, in 32-bit words (see zlib.h). */
const Z_STREAM_SIZE = 112;
const NEXT_IN = 0, AVAIL_IN = 2, NEXT_OUT = 6, AVAIL_OUT = 8, MSG = 12;
/** gzip only: 15 window bits, plus 16. */
const GZIP_WINDOW = 31;
const Z_OK = 0, Z_STREAM_END = 1, Z_NEED_DICT = 2, Z_BUF_ERROR = -5;
const NOTHING = new Uint8Array(1);

/** A pointer into two 32-bit words, low first (x86-64 and arm64 are little-endian). */
function pointer(z: Uint32Array, at: number, p: number) {
  z[at] = p % 2 ** 32;
  z[at + 1] = Math.floor(p / 2 ** 32);
}

class Inflater implements NativeStream {
  /** The z_stream, in memory of its own: zlib checks that it never moves. */
  private z = new Uint32Array(new ArrayBuffer(Z_STREAM_SIZE));
  private input: Uint8Array = NOTHING;
  private size = 0;
  private at = 0;
  /** Between members: the last ended one, and no byte of the next was read. */
  private between = false;
  /** A zero byte came after a member: the rest of the input is ignored. */
  private padded = false;
  private full = false;
  private live = true;

  constructor(private lib: Lib) {
    const version = lib.zlibVersion();
    const r = lib.inflateInit2_(ptr(this.z), GZIP_WINDOW, version, Z_STREAM_SIZE);
    if (r !== Z_OK) throw new Error(`zlib: cannot start inflating (${r})`);
  }

  push(input: Uint8Array) {
    if (this.at < this.size) throw new Error("zlib: input pushed before the last was pulled");
    this.input = input.length ? input : NOTHING;
    this.size = input.length;
    this.at = 0;
  }

  pull(into: Uint8Array): number {
    if (!this.live) throw new Error("zlib: the stream was freed");
    const { z } = this;
    let n = 0;
    if (this.padded) this.at = this.size;
    // `full`: the last call filled its output, and zlib may hold more without new input
    // (the rest of a match).
    while (n < into.length && (this.at < this.size || this.full)) {
      if (this.between) {
        if (this.at === this.size) break;
        if (this.input[this.at] === 0) {
          this.padded = true;
          this.at = this.size;
          break;
        }
        this.lib.inflateReset(ptr(z));
        this.between = false;
      }
      // Pointers are given anew each call: the input stays referenced here, nothing assumes where.
      pointer(z, NEXT_IN, ptr(this.input) + this.at);
      z[AVAIL_IN] = this.size - this.at;
      pointer(z, NEXT_OUT, ptr(into) + n);
      z[AVAIL_OUT] = into.length - n;
      const r = this.lib.inflate(ptr(z), 0);
      const used = this.size - this.at - z[AVAIL_IN]!;
      const room = z[AVAIL_OUT]!;
      const made = into.length - n - room;
      this.at += used;
      n += made;
      this.full = room === 0;
      if (r === Z_STREAM_END) this.between = true;
      else if (r === Z_NEED_DICT) throw new Error("zlib: the stream needs a dictionary");
      else if (r !== Z_OK && r !== Z_BUF_ERROR) {
        const msg = z[MSG]! + z[MSG + 1]! * 2 ** 32;
        throw new Error(`zlib: ${msg ? new CString(msg as Pointer) : `error ${r}`}`);
      } else if (!used && !made) {
        // Nothing was held back; with input left, zlib is stuck.
        if (r === Z_OK || this.at < this.size) throw new Error("zlib: the library made no progress");
        this.full = false;
      }
    }
    return n;
  }

  end() {
    // Ended inside a member, or with nothing at all: truncated.
    if (!this.between && !this.padded) throw new Error("unexpected end of file");
  }

  free() {
    if (!this.live) return;
    this.live = false;
    this.lib.inflateEnd(ptr(this.z));
  }
}

let loaded: Inflate | undefined | null = null;

/**
 * A gzip decompressor on the system's zlib, opened on first use; undefined where the host
 * has none (or where `STRATA_NO_LIBZ` is set: the tests of the fallback).
 */
export function inflate(): Inflate | undefined {
  if (loaded === null) {
    try {
      const lib = process.env.STRATA_NO_LIBZ ? undefined : open();
      loaded = lib && (() => new Inflater(lib));
    } catch {
      loaded = undefined;
    }
  }
  return loaded;
}
