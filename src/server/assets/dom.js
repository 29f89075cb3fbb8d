/**
 * DOM and formatting helpers for the status page. Text from the store (descriptions,
 * key names, filters) only ever goes in as text nodes, never as HTML.
 */

export const $ = (selector) => document.querySelector(selector);

/** An element with attributes (`class`, `title`, `data-*`, …) and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

/** Replaces a table body's rows; an empty list shows one row saying so. */
export function fillRows(tbody, rows, empty) {
  const columns = tbody.closest("table").querySelectorAll("thead th").length;
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty" }, el("td", { colspan: columns }, empty))]));
}

/** `1.234 GB`: decimal units, four significant digits, as `strata du` prints them. */
export function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) (n /= 1000), i++;
  return `${Number(n.toPrecision(4))} ${units[i]}`;
}

/** `48h`, `90m`, `45s` for a duration in milliseconds. */
export function duration(ms) {
  if (ms === null || ms === undefined) return "–";
  for (const [unit, size] of [["d", 86400e3], ["h", 3600e3], ["m", 60e3], ["s", 1e3]]) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** `3 min ago` for an RFC 3339 time; the exact local time goes in a title. */
export function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
    if (s >= size) return `${Math.floor(s / size)} ${unit} ago`;
  }
  return s < 5 ? "just now" : `${s} s ago`;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

export const percent = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 1000) / 10}%`);

/** Enough of a record ID to tell records apart; the whole ID is in the title. */
export const shortId = (id) => id.slice(0, 12);
