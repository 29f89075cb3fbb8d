/** A tar entry as strata reads and writes it: the union of ustar, GNU and PAX fields. */
export type EntryType = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface TarEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Uint8Array>;
}

export const typeFlags: { [flag: string]: EntryType } = {
  "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink",
  "3": "char", "4": "block", "5": "dir", "6": "fifo",
};

export const flagOf: { [type in EntryType]: string } = {
  file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6",
};
