import type { Runtime } from "../runtime.ts";
import { openSqlite } from "./sqlite.ts";
import { fetchVia, listen, sendFile } from "./serve.ts";
import { sys } from "./sys.ts";
import { locks } from "./lock.ts";
import { copier } from "./copier.ts";
import { deflater } from "./deflater.ts";
import { fileWriter } from "./file-writer.ts";
import { linker } from "./linker.ts";
import { walker } from "./walker.ts";
import { zstd } from "./zstd.ts";
import { inflate } from "./inflate.ts";
import { keepPerEntryQuick } from "./jit.ts";
import { useNativeSha256 } from "../../core/sha256.ts";

keepPerEntryQuick();
useNativeSha256((bytes) => {
  const h = new Bun.CryptoHasher("sha256");
  h.update(bytes);
  return h.digest("hex");
});

const registryFetch = async (caFile?: string) => (await import("./fetch.ts")).fetchTrusting(caFile);

export const runtime: Runtime = {
  name: "bun", version: Bun.version, openSqlite, sys, locks, listen, sendFile, uploadFile: sendFile, fetchVia, registryFetch, copier, zstd, inflate, deflater, writer: fileWriter, linker, walker,
  gzip: (bytes) => Bun.gzipSync(bytes as Uint8Array<ArrayBuffer>, { level: 6 }),
};
