/**
 * Tags of a repository, for restore keys across machines (SPEC §6): every tag,
 * following the `Link: <…>; rel="next"` pages a registry may split the list into, then
 * the ones with a prefix and what their manifests say about when they were made. The
 * caller picks with `newest`, by `org.opencontainers.image.created`.
 *
 *     const infos = await registry.tagsWithPrefix("host/cache", "deps-");
 *     newest(infos)?.tag; // "deps-3f2a…", or undefined: a cache miss
 */
import { codeOf } from "../core/errors.ts";
import { pullScope } from "./auth.ts";
import { limiter } from "./limit.ts";
import type { Session } from "./session.ts";
import type { Manifest, TagInfo } from "./types.ts";

export const CREATED = "org.opencontainers.image.created";

/** Pages followed at most: a registry that links in a circle must not keep us forever. */
const MAX_PAGES = 10_000;

/** The target of `rel="next"` in a `Link` header. */
export function nextLink(header: string | null): string | undefined {
  for (const m of (header ?? "").matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    if (/;\s*rel\s*=\s*"?next"?(\s|;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

export async function listTags(session: Session, name: string, pageSize?: number): Promise<string[]> {
  let target: string | URL = `/v2/${name}/tags/list${pageSize ? `?n=${pageSize}` : ""}`;
  const tags: string[] = [];
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = await session.url(target);
    seen.add(url.href);
    const res = await session.send({ method: "GET", target: url, scopes: [pullScope(name)] });
    if (res.status === 404) {
      // NAME_UNKNOWN: a repository nothing was pushed to has no tags yet.
      await res.body?.cancel();
      return tags;
    }
    if (res.status !== 200) throw await session.refused("GET", url, res);
    const body = (await res.json()) as { tags?: unknown };
    if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === "string"));
    const link = nextLink(res.headers.get("link"));
    if (!link) return tags;
    target = new URL(link, url);
    if (seen.has(target.href)) return tags;
  }
  return tags;
}

/** The tags starting with `prefix`, each with its manifest's digest and creation time. */
export async function tagsWithPrefix(
  session: Session,
  name: string,
  prefix: string,
  fetchManifest: (tag: string) => Promise<Manifest>,
): Promise<TagInfo[]> {
  const tags = (await listTags(session, name)).filter((t) => t.startsWith(prefix));
  const slots = limiter(4);
  const infos = await Promise.all(tags.map(async (tag): Promise<TagInfo | undefined> => {
    const release = await slots.acquire();
    try {
      const m = await fetchManifest(tag);
      const created = m.annotations[CREATED];
      return created ? { tag, digest: m.digest, created } : { tag, digest: m.digest };
    } catch (err) {
      // A tag removed since the list was read is simply not a candidate.
      if (codeOf(err) === "not_found") return undefined;
      throw err;
    } finally {
      release();
    }
  }));
  return infos.filter((i): i is TagInfo => !!i);
}

/**
 * The most recently created: a tag without a readable creation time loses to any with
 * one, and a tie goes to the greater tag name, so every machine picks the same one.
 */
export function newest(infos: readonly TagInfo[]): TagInfo | undefined {
  const time = (i: TagInfo) => {
    const t = i.created ? Date.parse(i.created) : NaN;
    return Number.isNaN(t) ? -Infinity : t;
  };
  let best: TagInfo | undefined;
  for (const i of infos) {
    if (!best || time(i) > time(best) || (time(i) === time(best) && i.tag > best.tag)) best = i;
  }
  return best;
}
