/**
 * The registry client: `Registry` (types.ts) over HTTP, for any number of registry
 * hosts. One client keeps, per host, the probed endpoint and the tokens it was given,
 * and shares four blob transfer slots among all of them.
 *
 *     const registry = createRegistry({
 *       fetch: fetchTrusting(caFile),                 // runtime/bun|deno/fetch.ts
 *       credentials: dockerCredentials({ credsFile }), // or anonymous
 *       insecure: ["registry.lan:5000"],
 *     });
 *     const { manifest } = await registry.resolve("registry.lan:5000/cache:deps-1");
 */
import { integrity, invalid, notFound } from "../core/errors.ts";
import { Authenticator, pullScope, pushScope } from "./auth.ts";
import { openBlob } from "./blobs.ts";
import { anonymous, type Credentials } from "./credentials.ts";
import { digestOf } from "./digest.ts";
import { type Limiter, limiter } from "./limit.ts";
import { ACCEPT, hostPlatform, MAX_MANIFEST, parseManifest, parsePlatform, pickPlatform } from "./manifest.ts";
import { formatReference, isDigest, isTag, parseReference, parseRepository, type Reference, repoName } from "./reference.ts";
import { defaultRetry, type RetryPolicy } from "./retry.ts";
import { Session } from "./session.ts";
import { listTags, tagsWithPrefix } from "./tags.ts";
import { Transport } from "./transport.ts";
import { defaultSizes, type FileBody, hasBlob, mountBlob, pushBlob, type UploadSizes } from "./upload.ts";
import type { Descriptor, FetchOptions, ImageIndex, Manifest, MountResult, Platform, PushAction, PushOptions, Registry, Resolved, TagInfo } from "./types.ts";

export interface RegistryOptions {
  /** The runtime's fetch, trusting the system CAs and `--ca-file` (default: global fetch). */
  fetch?: typeof fetch;
  /** Who we are to each host (default: anonymous everywhere). */
  credentials?: Credentials;
  /** Hosts (`HOST` or `HOST:PORT`) that may be spoken to in plain HTTP, besides loopback. */
  insecure?: string[];
  retry?: Partial<RetryPolicy>;
  /** Where uploads switch from one PUT to PATCH chunks, and the chunk size. */
  sizes?: Partial<UploadSizes>;
  /** Blob transfers in flight at most (default 4). */
  transfers?: number;
  /** The clock tokens expire by. */
  now?: () => number;
  /** How the runtime sends a local file as a request body; without it, files are streamed through `open`. */
  fileBody?: FileBody;
}

/** Indexes inside indexes, followed at most this deep. */
const MAX_NESTING = 3;
/** Image configs read into memory at most this large. */
const MAX_CONFIG = 64 << 20;

async function readCapped(res: Response, limit: number, what: string): Promise<Uint8Array> {
  if (Number(res.headers.get("content-length") ?? 0) > limit) {
    await res.body?.cancel();
    throw invalid(`${what}: larger than ${limit} bytes`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > limit) throw invalid(`${what}: larger than ${limit} bytes`);
  return bytes;
}

class Client implements Registry {
  private sessions = new Map<string, Session>();
  private readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly slots: Limiter;
  private readonly retry: RetryPolicy;
  private readonly sizes: UploadSizes;

  constructor(private readonly opts: RegistryOptions) {
    const fetch = opts.fetch ?? globalThis.fetch;
    this.retry = { ...defaultRetry, ...opts.retry };
    this.sizes = { ...defaultSizes, ...opts.sizes };
    this.slots = limiter(opts.transfers ?? 4);
    this.transport = new Transport(fetch, opts.insecure ?? [], this.retry);
    this.auth = new Authenticator({
      fetch,
      credentials: opts.credentials ?? anonymous,
      now: opts.now ?? Date.now,
      retry: this.retry,
      plainAllowed: (host) => this.transport.plainAllowed(host),
    });
  }

  private session(registry: string): Session {
    let s = this.sessions.get(registry);
    if (!s) {
      const fetch = this.opts.fetch ?? globalThis.fetch;
      s = new Session(registry, { fetch, transport: this.transport, auth: this.auth, retry: this.retry });
      this.sessions.set(registry, s);
    }
    return s;
  }

  private repo(text: string): { session: Session; name: string } {
    const r = parseRepository(text);
    return { session: this.session(r.registry), name: r.repository };
  }

  async fetchManifest(ref: string): Promise<Manifest> {
    return this.manifest(parseReference(ref));
  }

  private async manifest(r: Reference): Promise<Manifest> {
    const session = this.session(r.registry);
    const where = formatReference(r);
    const target = `/v2/${r.repository}/manifests/${r.digest ?? r.tag}`;
    const res = await session.send({ method: "GET", target, scopes: [pullScope(r.repository)], headers: { accept: ACCEPT } });
    if (res.status === 404) {
      await res.body?.cancel();
      throw notFound(`manifest ${where}`);
    }
    if (res.status !== 200) throw await session.refused("GET", target, res);
    const bytes = await readCapped(res, MAX_MANIFEST, `manifest ${where}`);
    const digest = digestOf(bytes);
    if (r.digest && digest !== r.digest) throw integrity(`manifest ${where}: content is ${digest}`);
    const said = res.headers.get("docker-content-digest");
    if (said?.startsWith("sha256:") && said !== digest) throw integrity(`manifest ${where}: content is ${digest}, the registry says ${said}`);
    return parseManifest(bytes, res.headers.get("content-type"), digest, where);
  }

  async resolve(ref: string, opts: { platform?: string | Platform } = {}): Promise<Resolved> {
    const r = parseReference(ref);
    const want = typeof opts.platform === "string" ? parsePlatform(opts.platform) : opts.platform ?? hostPlatform();
    let doc = await this.manifest(r);
    let index: ImageIndex | undefined;
    for (let depth = 0; doc.kind === "index"; depth++) {
      if (depth >= MAX_NESTING) throw invalid(`${formatReference(r)}: indexes nested deeper than ${MAX_NESTING}`);
      index ??= doc;
      const pick = pickPlatform(doc, want, formatReference(r));
      doc = await this.manifest({ registry: r.registry, repository: r.repository, digest: pick.digest });
      if (doc.bytes.length !== pick.size) throw integrity(`manifest ${pick.digest}: ${doc.bytes.length} bytes, the index says ${pick.size}`);
    }
    return { repository: repoName(r), ...(r.tag ? { tag: r.tag } : {}), manifest: doc, ...(index ? { index } : {}) };
  }

  async fetchConfig(repo: string, config: Descriptor): Promise<Uint8Array> {
    if (config.size > MAX_CONFIG) throw invalid(`config ${config.digest}: larger than ${MAX_CONFIG} bytes`);
    const out = new Uint8Array(config.size);
    let at = 0;
    for await (const chunk of await this.fetchBlob(repo, config)) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  async fetchBlob(repo: string, blob: Descriptor, opts?: FetchOptions): Promise<AsyncIterable<Uint8Array>> {
    const { session, name } = this.repo(repo);
    return openBlob(session, this.slots, name, blob, opts);
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const { session, name } = this.repo(repo);
    if (!isDigest(digest)) throw invalid(`unsupported digest ${JSON.stringify(digest)}`);
    return hasBlob(session, name, digest);
  }

  async mountBlob(repo: string, from: string, digest: string): Promise<MountResult> {
    const { session, name } = this.repo(repo);
    const source = parseRepository(from);
    if (source.registry !== session.host) throw invalid(`cannot mount from ${from} into ${repo}: another registry`);
    return mountBlob(session, name, source.repository, digest);
  }

  async pushBlob(repo: string, blob: Descriptor, open: () => AsyncIterable<Uint8Array>, opts: PushOptions = {}): Promise<PushAction> {
    const { session, name } = this.repo(repo);
    // Mounting only works inside one registry; other candidates are no help.
    const mountFrom = (opts.mountFrom ?? []).map((f) => parseRepository(f)).filter((f) => f.registry === session.host).map((f) => f.repository);
    return pushBlob(session, this.slots, name, blob, open, { ...opts, mountFrom }, this.sizes, this.opts.fileBody);
  }

  async putManifest(repo: string, tagOrDigest: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const { session, name } = this.repo(repo);
    const digest = digestOf(bytes);
    if (isDigest(tagOrDigest) ? tagOrDigest !== digest : !isTag(tagOrDigest)) {
      throw isDigest(tagOrDigest) ? integrity(`manifest for ${repo}: content is ${digest}, not ${tagOrDigest}`) : invalid(`"${tagOrDigest}" is not a tag`);
    }
    const target = `/v2/${name}/manifests/${tagOrDigest}`;
    const res = await session.send({ method: "PUT", target, scopes: [pushScope(name)], headers: { "content-type": mediaType }, body: new Uint8Array(bytes) });
    if (res.status !== 201) throw await session.refused("PUT", target, res);
    await res.body?.cancel();
    return digest;
  }

  async listTags(repo: string, opts: { pageSize?: number } = {}): Promise<string[]> {
    const { session, name } = this.repo(repo);
    return listTags(session, name, opts.pageSize);
  }

  async tagsWithPrefix(repo: string, prefix: string): Promise<TagInfo[]> {
    const { session, name } = this.repo(repo);
    return tagsWithPrefix(session, name, prefix, (tag) => this.manifest({ registry: session.host, repository: name, tag }));
  }
}

export function createRegistry(opts: RegistryOptions = {}): Registry {
  return new Client(opts);
}
