/**
 * The records table: `GET /v1/du?filter=…` (the `du --filter` syntax: `type==exec.cachemount`,
 * `inuse==false`, `id~=abc`; commas AND), sorted by any column here in the page, parents
 * shown and clickable (they filter to that parent), mutable records marked with `*`.
 */
import { $, ago, bytes, el, fillRows, shortId, when } from "./dom.js";

/** How each column sorts: by a value taken from the record. */
const columns = {
  id: (r) => r.id,
  kind: (r) => r.kind,
  recordType: (r) => r.recordType,
  size: (r) => r.size,
  inUse: (r) => (r.inUse ? 1 : 0),
  createdAt: (r) => Date.parse(r.createdAt),
  lastUsedAt: (r) => (r.lastUsedAt ? Date.parse(r.lastUsedAt) : 0),
  usageCount: (r) => r.usageCount,
  parents: (r) => r.parents.length,
  description: (r) => r.description,
};

export function recordsTable(api) {
  // du's own order (largest first) until a column is chosen.
  const state = { filter: "", sort: "size", descending: true, records: [] };

  const compare = (a, b) => {
    const x = columns[state.sort](a), y = columns[state.sort](b);
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return (state.descending ? -order : order) || a.id.localeCompare(b.id);
  };

  const row = (r) =>
    el("tr", { "data-id": r.id, class: r.mutable ? "mutable" : false },
      el("td", { class: "id", title: r.id }, shortId(r.id), r.mutable ? el("span", { class: "mark", title: "mutable: not committed" }, "*") : ""),
      el("td", {}, r.kind), el("td", {}, r.recordType),
      el("td", { class: "num", "data-bytes": r.size }, bytes(r.size)),
      el("td", {}, r.inUse ? el("span", { class: "badge held" }, "in use") : "no"),
      el("td", { title: when(r.createdAt) }, ago(r.createdAt)),
      el("td", { title: when(r.lastUsedAt) }, ago(r.lastUsedAt)),
      el("td", { class: "num" }, r.usageCount),
      el("td", { class: "parents" }, r.parents.map((p) => el("button", { type: "button", class: "link", title: `filter to ${p}`, "data-parent": p }, shortId(p)))),
      el("td", { class: "description" }, r.description));

  const render = () => {
    const sorted = [...state.records].sort(compare);
    fillRows($("#records tbody"), sorted.map(row), state.filter ? "No record matches the filter." : "No records.");
    for (const th of document.querySelectorAll("#records th[data-sort]")) {
      const on = th.dataset.sort === state.sort;
      th.setAttribute("aria-sort", on ? (state.descending ? "descending" : "ascending") : "none");
    }
    const total = state.records.reduce((n, r) => n + r.size, 0);
    $("#records-count").textContent = `${state.records.length} record${state.records.length === 1 ? "" : "s"}, ${bytes(total)}`;
  };

  const showError = (message) => {
    $("#records-error").textContent = message ?? "";
    $("#records-error").hidden = !message;
  };

  // A live refresh and a new filter can be in flight at once: only the last asked is shown.
  let asked = 0;
  const load = async () => {
    const query = state.filter ? `?${new URLSearchParams({ filter: state.filter })}` : "";
    const mine = ++asked;
    let records = [], error;
    try {
      records = (await api(`/v1/du${query}`)).records;
    } catch (err) {
      error = err.message;
    }
    if (mine !== asked) return;
    state.records = records;
    showError(error);
    render();
  };

  const setFilter = (text) => {
    state.filter = text.trim();
    $("#filter").value = state.filter;
    return load();
  };

  $("#records thead").addEventListener("click", (e) => {
    const th = e.target.closest("th[data-sort]");
    if (!th) return;
    if (state.sort === th.dataset.sort) state.descending = !state.descending;
    else (state.sort = th.dataset.sort), (state.descending = th.dataset.sort === "size");
    render();
  });
  $("#records tbody").addEventListener("click", (e) => {
    const parent = e.target.closest("[data-parent]");
    if (parent) setFilter(`id==${parent.dataset.parent}`);
  });
  $("#filter-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setFilter($("#filter").value);
  });
  $("#prune").addEventListener("click", async () => {
    const what = state.filter ? `unused records matching ${state.filter}` : "every unused record";
    if (!confirm(`Prune ${what}? Records in use are kept.`)) return;
    try {
      const lines = (await api("/v1/prune", { method: "POST", body: JSON.stringify(state.filter ? { filter: [state.filter] } : {}) })).trim().split("\n");
      const { summary } = JSON.parse(lines.at(-1));
      $("#prune-result").textContent = `Pruned ${summary.records} record${summary.records === 1 ? "" : "s"}, freed ${bytes(summary.bytes)}.`;
    } catch (err) {
      showError(err.message);
    }
  });

  return { load };
}
