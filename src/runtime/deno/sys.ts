/** libc calls through Deno.dlopen: xattrs, nanosecond times, mknod, inode flags, mounts. */
import type { Sys } from "../../platform/sys.ts";
import { closeSync, openSync } from "node:fs";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, cstr, ERANGE, setTopDir, splitNames, sysError, timespecs } from "../libc.ts";

declare const Deno: any;

const { symbols: c } = Deno.dlopen("libc.so.6", {
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  futimens: { parameters: ["i32", "buffer"], result: "i32" },
  fsetxattr: { parameters: ["i32", "buffer", "buffer", "usize", "i32"], result: "i32" },
  mknod: { parameters: ["buffer", "u32", "u64"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  lstat: { parameters: ["buffer", "buffer"], result: "i32" },
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
});

function errno(): number {
  return new Deno.UnsafePointerView(c.__errno_location()).getInt32(0);
}

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

const n = (v: number | bigint) => Number(v);

export const sys: Sys = {
  listxattr(path) {
    const P = cstr(path);
    return splitNames(sized((b, len) => n(c.llistxattr(P, b, BigInt(len))), "llistxattr", path));
  },
  getxattr(path, name) {
    const P = cstr(path), N = cstr(name);
    return sized((b, len) => n(c.lgetxattr(P, N, b, BigInt(len))), "lgetxattr", path);
  },
  setxattr(path, name, value) {
    if (c.lsetxattr(cstr(path), cstr(name), value, BigInt(value.length), 0) !== 0) {
      throw sysError(errno(), "lsetxattr", path);
    }
  },
  fsetxattr(fd, name, value) {
    if (c.fsetxattr(fd, cstr(name), value, BigInt(value.length), 0) !== 0) throw sysError(errno(), "fsetxattr", `fd ${fd}`);
  },
  utimens(path, atimeNs, mtimeNs) {
    const ts = timespecs(atimeNs, mtimeNs);
    if (c.utimensat(AT_FDCWD, cstr(path), new Uint8Array(ts.buffer), AT_SYMLINK_NOFOLLOW) !== 0) {
      throw sysError(errno(), "utimensat", path);
    }
  },
  futimens(fd, atimeNs, mtimeNs) {
    const ts = timespecs(atimeNs, mtimeNs);
    if (c.futimens(fd, new Uint8Array(ts.buffer)) !== 0) throw sysError(errno(), "futimens", `fd ${fd}`);
  },
  times(path) {
    // struct stat on x86_64 and aarch64 Linux: st_atim at byte 72, st_mtim at 88.
    const buf = new BigInt64Array(18);
    if (c.lstat(cstr(path), new Uint8Array(buf.buffer)) !== 0) throw sysError(errno(), "lstat", path);
    const b = 1_000_000_000n;
    return [buf[9]! * b + buf[10]!, buf[11]! * b + buf[12]!];
  },
  mknod(path, mode, dev) {
    if (c.mknod(cstr(path), mode, dev) !== 0) throw sysError(errno(), "mknod", path);
  },
  markTopDir(path) {
    const fd = openSync(path, "r");
    try {
      return setTopDir(fd, (f, req, arg) => c.ioctl(f, req, new Uint8Array(arg.buffer)));
    } finally {
      closeSync(fd);
    }
  },
  mount(source, target, fstype, flags, data) {
    const F = fstype === null ? null : cstr(fstype), D = data === null ? null : cstr(data);
    if (c.mount(cstr(source), cstr(target), F, BigInt(flags), D) !== 0) throw sysError(errno(), "mount", target);
  },
  umount(target, flags) {
    if (c.umount2(cstr(target), flags) !== 0) throw sysError(errno(), "umount2", target);
  },
  flock(fd, op) {
    if (c.flock(fd, op) !== 0) throw sysError(errno(), "flock", `fd ${fd}`);
  },
};
