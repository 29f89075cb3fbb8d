/**
 * References as users type them: `HOST[:PORT]/NAME[:TAG|@sha256:HEX]`, by the grammar of
 * distribution's `reference` package. A tag defaults to `latest`. A first component that
 * does not look like a host (no `.` or `:`, not `localhost`) means Docker Hub, as docker
 * reads it, so `alpine` is `docker.io/library/alpine`; nothing else is Hub-specific.
 *
 *     parseReference("127.0.0.1:5000/cache/deps:v1")
 *     // { registry: "127.0.0.1:5000", repository: "cache/deps", tag: "v1" }
 */
import { usage } from "../core/errors.ts";

export interface Reference {
  /** `HOST[:PORT]` as written (`docker.io` for Hub). */
  registry: string;
  /** The repository path inside the registry. */
  repository: string;
  tag?: string;
  digest?: string;
}

const HUB = "docker.io";
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

const bad = (text: string, why: string) => usage(`invalid reference "${text}": ${why}`);

export const isDigest = (text: string) => DIGEST.test(text);
export const isTag = (text: string) => TAG.test(text);

/** A reference to a manifest; a tag defaults to `latest` unless a digest is given. */
export function parseReference(text: string): Reference {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw bad(text, "a digest is sha256: and 64 lowercase hex digits");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw bad(text, `"${tag}" is not a tag`);
  }
  const { registry, repository } = split(text, rest);
  return { registry, repository, tag: tag ?? (digest ? undefined : "latest"), ...(digest ? { digest } : {}) };
}

/** A repository, `HOST[:PORT]/NAME`, with no tag or digest. */
export function parseRepository(text: string): { registry: string; repository: string } {
  if (text.includes("@")) throw bad(text, "a repository has no digest");
  const colon = text.lastIndexOf(":");
  if (colon > text.lastIndexOf("/")) throw bad(text, "a repository has no tag");
  return split(text, text);
}

function split(text: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const isHost = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  if (isHost && !HOST.test(first)) throw bad(text, `"${first}" is not a host`);
  const registry = isHost ? first : HUB;
  let repository = isHost ? name.slice(slash + 1) : name;
  if (registry === HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!repository) throw bad(text, "no repository name");
  if (repository.length > 255) throw bad(text, "the name is longer than 255 characters");
  for (const part of repository.split("/")) {
    if (!COMPONENT.test(part)) throw bad(text, `"${part}" is not a lowercase name component`);
  }
  return { registry, repository };
}

/** `HOST/NAME`. */
export const repoName = (r: { registry: string; repository: string }) => `${r.registry}/${r.repository}`;

/** `HOST/NAME:TAG` or `HOST/NAME@DIGEST`, the way the reference is best pinned. */
export const formatReference = (r: Reference) =>
  r.digest ? `${repoName(r)}@${r.digest}` : `${repoName(r)}:${r.tag ?? "latest"}`;
