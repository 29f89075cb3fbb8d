/**
 * Where `export` puts an image besides the content store: a manifest, a config and
 * the layer blobs, for tools that read images (skopeo, umoci, registries).
 */
import type { ContentStore } from "../core/ports/content.ts";
import type { Blob } from "../core/record.ts";

export interface Target {
  /** Writes the image of `layers` (root first) to `spec`; returns its manifest's descriptor. */
  write(spec: string, layers: Blob[], content: ContentStore, opts: { tag?: string }): Promise<{ mediaType: string; digest: string; size: number }>;
}
