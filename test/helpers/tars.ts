/** Layers for tests: made by GNU tar from real trees, or crafted by Python's tarfile when GNU tar would refuse. */
import { execFileSync } from "node:child_process";

/** GNU tar of DIR's contents (PAX with xattrs, or GNU's own format), compressed as asked. */
export function gnuTar(dir: string, out: string, compression: "gzip" | "zstd" | "none" = "gzip", format = "pax") {
  const z = compression === "gzip" ? ["-z"] : compression === "zstd" ? ["--zstd"] : [];
  const xattrs = format === "pax" ? ["--xattrs", "--xattrs-include=*"] : [];
  execFileSync("tar", [...xattrs, `--format=${format}`, "--numeric-owner", ...z, "-cf", out, "-C", dir, "."]);
}

export interface Crafted {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink";
  data?: string;
  link?: string;
}

/** A tar with exactly these entries, names untouched (gzip when asked). */
export function craftTar(out: string, entries: Crafted[], gzip = false) {
  const script = `
import json, sys, tarfile, io
entries = json.loads(sys.argv[2])
with tarfile.open(sys.argv[1], "w:gz" if sys.argv[3] == "1" else "w", format=tarfile.PAX_FORMAT) as t:
    for e in entries:
        i = tarfile.TarInfo(e["name"])
        kind = e.get("type", "file")
        i.mode = 0o755 if kind == "dir" else 0o644
        data = e.get("data", "").encode()
        if kind == "dir": i.type = tarfile.DIRTYPE
        elif kind == "symlink": i.type = tarfile.SYMTYPE; i.linkname = e["link"]
        elif kind == "hardlink": i.type = tarfile.LNKTYPE; i.linkname = e["link"]
        else: i.size = len(data)
        t.addfile(i, io.BytesIO(data) if kind == "file" else None)
`;
  execFileSync("python3", ["-c", script, out, JSON.stringify(entries), gzip ? "1" : "0"]);
}

export const sha256 = (s: string) => `sha256:${execFileSync("sha256sum", { input: s }).toString().split(" ")[0]}`;
