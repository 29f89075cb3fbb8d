/** libc calls through bun:ffi: xattrs, nanosecond times, mknod, inode flags, mounts. */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import type { Sys } from "../../platform/sys.ts";
import { closeSync, openSync } from "node:fs";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, cstr, ERANGE, setTopDir, splitNames, sysError, timespecs } from "../libc.ts";

const open = () => dlopen("libc.so.6", {
  llistxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  lgetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  lsetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  utimensat: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  futimens: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  fsetxattr: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  mknod: { args: [FFIType.ptr, FFIType.u32, FFIType.u64], returns: FFIType.i32 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  mount: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  umount2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
}).symbols;

// Opened on first use, so commands that never copy a tree never pay for dlopen.
let libc: ReturnType<typeof open> | undefined;
const c = new Proxy({} as ReturnType<typeof open>, { get: (_, k) => (libc ??= open())[k as keyof typeof libc] });

// Export lists every entry's xattrs: a path and a name list in reused buffers, and one
// call where the names fit, cost a third of what fresh buffers and two calls did.
const encoder = new TextEncoder();
let pathBuf = new Uint8Array(4096);
const namesBuf = new Uint8Array(1024);

/** `path` NUL-terminated in a reused buffer (valid until the next call). */
function cpath(path: string): Uint8Array {
  if (path.length * 3 + 1 > pathBuf.length) pathBuf = new Uint8Array(path.length * 3 + 1);
  const n = encoder.encodeInto(path, pathBuf).written;
  pathBuf[n] = 0;
  return pathBuf;
}

function errno(): number {
  return read.i32(c.__errno_location()!, 0);
}

/** Calls `fn(buffer)` with a growing buffer until the value fits. */
function sized(call: (buf: Uint8Array | null, len: number) => number, what: string, path: string): Uint8Array {
  for (;;) {
    const need = call(null, 0);
    if (need < 0) throw sysError(errno(), what, path);
    if (need === 0) return new Uint8Array(0);
    const buf = new Uint8Array(need);
    const got = call(buf, need);
    if (got >= 0) return buf.subarray(0, got);
    const e = errno();
    if (e !== ERANGE) throw sysError(e, what, path);
  }
}

const p = (b: Uint8Array | null) => (b && b.length ? ptr(b) : null);

export const sys: Sys = {
  listxattr(path) {
    const list = (libc ??= open()).llistxattr;
    const got = Number(list(ptr(cpath(path)), ptr(namesBuf), namesBuf.length));
    if (got === 0) return [];
    if (got > 0) return splitNames(namesBuf.subarray(0, got));
    if (errno() !== ERANGE) throw sysError(errno(), "llistxattr", path);
    // Longer than the reused buffer: asked for the size, then read (cpath's buffer still holds path).
    return splitNames(sized((b, n) => Number(list(ptr(pathBuf), p(b), n)), "llistxattr", path));
  },
  getxattr(path, name) {
    const P = cstr(path), N = cstr(name);
    return sized((b, n) => Number(c.lgetxattr(ptr(P), ptr(N), p(b), n)), "lgetxattr", path);
  },
  setxattr(path, name, value) {
    if (c.lsetxattr(ptr(cstr(path)), ptr(cstr(name)), p(value), value.length, 0) !== 0) {
      throw sysError(errno(), "lsetxattr", path);
    }
  },
  fsetxattr(fd, name, value) {
    if (c.fsetxattr(fd, ptr(cstr(name)), p(value), value.length, 0) !== 0) throw sysError(errno(), "fsetxattr", `fd ${fd}`);
  },
  utimens(path, atimeNs, mtimeNs) {
    const ts = timespecs(atimeNs, mtimeNs);
    if (c.utimensat(AT_FDCWD, ptr(cstr(path)), ptr(ts), AT_SYMLINK_NOFOLLOW) !== 0) {
      throw sysError(errno(), "utimensat", path);
    }
  },
  futimens(fd, atimeNs, mtimeNs) {
    if (c.futimens(fd, ptr(timespecs(atimeNs, mtimeNs))) !== 0) throw sysError(errno(), "futimens", `fd ${fd}`);
  },
  times: (_path, st) => [st.atimeNs, st.mtimeNs],
  mknod(path, mode, dev) {
    if (c.mknod(ptr(cstr(path)), mode, dev) !== 0) throw sysError(errno(), "mknod", path);
  },
  markTopDir(path) {
    const fd = openSync(path, "r");
    try {
      return setTopDir(fd, (f, req, arg) => c.ioctl(f, req, ptr(arg)));
    } finally {
      closeSync(fd);
    }
  },
  mount(source, target, fstype, flags, data) {
    const [S, T, F, D] = [cstr(source), cstr(target), fstype === null ? null : cstr(fstype), data === null ? null : cstr(data)];
    if (c.mount(ptr(S), ptr(T), F && ptr(F), flags, D && ptr(D)) !== 0) throw sysError(errno(), "mount", target);
  },
  umount(target, flags) {
    if (c.umount2(ptr(cstr(target)), flags) !== 0) throw sysError(errno(), "umount2", target);
  },
  flock(fd, op) {
    if (c.flock(fd, op) !== 0) throw sysError(errno(), "flock", `fd ${fd}`);
  },
};
