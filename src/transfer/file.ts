/** A layer blob in a file: `strata import layer.tar.gz`. */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { guarded, notFound, systemError, usage } from "../core/errors.ts";
import { fileChunks } from "../platform/file-chunks.ts";
import type { Source } from "./source.ts";

/**
 * A file as a stream of 1 MiB chunks; a failure to read it names `what` (a missing
 * file is `not found`, or `missing blob` for a blob a manifest names).
 */
export const readFile = (path: string, what = `cannot read ${path}`, missing?: "not_found" | "missing_blob") =>
  guarded(fileChunks(path), what, missing);

/** The size of a layer file, or a clear error for a path that is not one. */
export function layerFileSize(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw notFound(`file ${path}`);
    throw systemError(err, `cannot read ${path}`);
  }
  if (st.isDirectory()) throw usage(`${path} is a directory; import takes a layer blob, or oci:DIR for an image layout`);
  return st.size;
}

export const file: Source = {
  matches: () => true,
  absolute: (spec) => resolve(spec),
  upload: true,
  layers: (path) => [{ open: () => readFile(path), rewindable: true, size: layerFileSize(path) }],
};
