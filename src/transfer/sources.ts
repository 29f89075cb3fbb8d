/**
 * The table of import sources, tried in order: stdin (`-`), an OCI image layout
 * (`oci:DIR[:TAG]`), else a file. A registry joins as one more row.
 */
import { file } from "./file.ts";
import { ociLayout } from "./oci-layout.ts";
import type { Source } from "./source.ts";
import { stdin } from "./stdin.ts";

const sources: Source[] = [stdin, ociLayout, file];

export const sourceOf = (spec: string): Source => sources.find((s) => s.matches(spec))!;

/**
 * What a CLI sends for `spec`: the spec with absolute paths, or, through a server, the
 * one layer it reads here as the request body (counted for progress).
 */
export function forCall(spec: string, remote: boolean, progress?: (bytes: number) => void): { source?: string; body?: AsyncIterable<Uint8Array> } {
  const s = sourceOf(spec);
  const source = s.absolute(spec);
  if (!remote || !s.upload) return { source };
  return { body: counted(s.layers(source)[0]!.open(), progress) };
}

/** Counts bytes as they pass, for progress on an upload. */
async function* counted(source: AsyncIterable<Uint8Array>, progress?: (bytes: number) => void): AsyncIterable<Uint8Array> {
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    progress?.(n);
    yield chunk;
  }
}
