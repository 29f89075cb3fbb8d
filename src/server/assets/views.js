/**
 * The page's other panels, each a function of one JSON answer: usage against the GC
 * policies (`/v1/status`), the prune and GC history (`/v1/status/history`), and the CI
 * key lookups (`/v1/status/keys`).
 */
import { $, ago, bytes, duration, el, fillRows, percent, when } from "./dom.js";

/** A limit, and a bar of how much of what it allows is taken (`value` of `max`). */
function limit(shown, value, max, over, note) {
  if (shown === null) return el("td", { class: "muted" }, "–");
  const share = max > 0 ? Math.min(1, value / max) : 1;
  const bar = el("span");
  bar.style.width = `${(share * 100).toFixed(1)}%`; // through the CSSOM: the CSP allows no style attributes
  return el("td", { class: over ? "over" : false, title: `${note}: ${bytes(value)} of ${bytes(max)}` },
    bytes(shown), el("span", { class: "meter", "aria-hidden": "true" }, bar));
}

const options = (o) =>
  [o.all ? "all" : "", ...(o.filter ?? []), o.keepDuration ? `keep ${o.keepDuration}` : "",
    o.maxUsedSpace ? `max used ${o.maxUsedSpace}` : "", o.reservedSpace ? `reserved ${o.reservedSpace}` : "",
    o.minFreeSpace ? `min free ${o.minFreeSpace}` : ""].filter(Boolean).join(" · ") || "everything unused";

export function renderUsage(s) {
  const u = s.usage;
  $("#version").textContent = `${s.version} · ${s.runtime}`;
  $("#usage-summary").replaceChildren(
    ...[["records", u.records], ["used", bytes(u.used)], ["reclaimable", bytes(u.reclaimable)],
      ["metadata", bytes(u.metadata)], ["content store", bytes(u.content)], ["free on disk", `${bytes(u.fsFree)} of ${bytes(u.fsSize)}`]]
      .map(([name, value]) => el("div", { class: "figure" }, el("span", { class: "value", "data-name": name }, value), el("span", { class: "name" }, name))),
  );
  $("#gc-state").textContent = s.gc.enabled ? "Automatic GC runs these policies in order." : "Automatic GC is off; these are the policies it would run.";
  fillRows($("#policies tbody"), s.gc.policies.map((p) =>
    el("tr", { "data-policy": p.index },
      el("td", { class: "num" }, p.index),
      el("td", {}, [p.all ? "all" : "", ...p.filter].filter(Boolean).join(" · ") || "unused records"),
      el("td", {}, duration(p.keepDurationMs)),
      limit(p.maxUsedSpace, u.used, p.maxUsedSpace, p.overMaxUsed, "records use"),
      limit(p.reservedSpace, u.used, p.reservedSpace, false, "records use (prune never goes below the reserve)"),
      limit(p.minFreeSpace, u.fsSize - u.fsFree, u.fsSize - p.minFreeSpace, p.belowMinFree, "the filesystem has in use"),
    )), "No GC policies.");
}

export function renderHistory(runs) {
  fillRows($("#history tbody"), runs.map((r) =>
    el("tr", { "data-run": r.id, "data-trigger": r.trigger, class: r.error ? "failed" : false },
      el("td", { title: when(r.finishedAt) }, ago(r.finishedAt), r.runs > 1 ? el("span", { class: "muted", title: `first at ${when(r.startedAt)}` }, ` ×${r.runs}`) : ""),
      el("td", {}, r.trigger === "gc" ? `GC policy ${r.policy}` : "prune"),
      el("td", {}, options(r.options)),
      el("td", { class: "num", "data-records": r.records }, r.records),
      el("td", { class: "num", "data-bytes": r.bytes }, bytes(r.bytes)),
      el("td", { class: "error" }, r.error ?? ""),
    )), "No prune or GC has run yet.");
}

export function renderKeys(k) {
  $("#key-rates").replaceChildren(
    ...[["hit rate", percent(k.restored), "exact or restored by prefix"], ["exact hits", percent(k.exact), `${k.counts.exact} lookups`],
      ["restored by prefix", k.counts.prefix, "lookups"], ["misses", k.counts.miss, "lookups"], ["lookups", k.lookups, "since the root was made"]]
      .map(([name, value, title]) => el("div", { class: "figure", title }, el("span", { class: "value", "data-name": name }, value), el("span", { class: "name" }, name))),
  );
  fillRows($("#lookups tbody"), k.recent.map((l) =>
    el("tr", { class: l.outcome },
      el("td", { title: when(l.at) }, ago(l.at)),
      el("td", {}, l.name),
      el("td", {}, el("span", { class: `badge ${l.outcome}` }, l.outcome === "prefix" ? "restored" : l.outcome)),
      el("td", {}, l.matched ?? ""),
    )), "No key has been looked up yet.");
}
