/**
 * The core's registry port (core/ports/registry.ts) on this folder's client. The client
 * carries everything about reaching a registry (credentials, CA file, insecure hosts,
 * retries, the four transfer slots); the port only names what the core does with it.
 *
 *     const registry = registryPort(createRegistry({ fetch: fetchTrusting(caFile), credentials }));
 *     const image = await registry.resolve("127.0.0.1:5000/cache:deps-1");
 */
import { codeOf } from "../core/errors.ts";
import type { Registry } from "../core/ports/registry.ts";
import { parsePlatform } from "./manifest.ts";
import { parseReference, repoName } from "./reference.ts";
import { newest } from "./tags.ts";
import type { Registry as Client, Manifest } from "./types.ts";

export function registryPort(client: Client): Registry {
  return {
    parse(ref) {
      const r = parseReference(ref);
      return { registry: r.registry, repository: repoName(r), ...(r.tag ? { tag: r.tag } : {}), ...(r.digest ? { digest: r.digest } : {}) };
    },
    async resolve(ref, opts = {}) {
      const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
      // The top manifest first, so a reference that names nothing is told apart from an
      // index without the platform (both are the client's not found).
      let top: Manifest;
      try {
        top = await client.fetchManifest(ref);
      } catch (err) {
        if (codeOf(err) === "not_found") return undefined;
        throw err;
      }
      const repository = repoName(parseReference(ref));
      const image = top.kind === "image"
        ? top
        : (await client.resolve(`${repository}@${top.digest}`, platform ? { platform } : {})).manifest;
      return { repository, digest: image.digest, config: image.config, layers: image.layers };
    },
    fetchConfig: (repository, blob) => client.fetchConfig(repository, blob),
    fetchBlob: (repository, blob, progress) => client.fetchBlob(repository, blob, { progress }),
    hasBlob: (repository, digest) => client.hasBlob(repository, digest),
    async mountBlob(repository, from, digest) {
      const mount = await client.mountBlob(repository, from, digest);
      // A refused mount opened an upload; the caller sends the bytes through a new one.
      if (!mount.mounted) await mount.session.cancel();
      return mount.mounted;
    },
    pushBlob: (repository, blob, open, opts = {}) => client.pushBlob(repository, blob, open, opts),
    putManifest: (repository, tag, bytes, mediaType) => client.putManifest(repository, tag, bytes, mediaType),
    newestTag: async (repository, prefix) => newest(await client.tagsWithPrefix(repository, prefix)),
  };
}
