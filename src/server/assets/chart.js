/**
 * Usage over time as an inline SVG: bytes used and reclaimable, from the samples the
 * daemon keeps (one a minute, and one after each GC). No chart library: two polylines
 * and four labels are all it takes.
 */
import { bytes, el } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 800, H = 220, left = 70, right = 10, top = 12, bottom = 28;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function renderChart(box, samples) {
  if (samples.length < 2) {
    box.replaceChildren(el("p", { class: "muted" }, "Not enough samples yet: the daemon takes one a minute and after each GC."));
    return;
  }
  const times = samples.map((s) => Date.parse(s.at));
  const t0 = times[0], t1 = Math.max(times.at(-1), t0 + 1);
  const top_ = Math.max(1, ...samples.map((s) => s.used));
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const y = (b) => H - bottom - (b / top_) * (H - top - bottom);
  const line = (field, cls) =>
    svg("polyline", { class: cls, points: samples.map((s, i) => `${x(times[i]).toFixed(1)},${y(s[field]).toFixed(1)}`).join(" ") });

  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title", class: "chart" });
  chart.append(
    svg("title", { id: "chart-title" }, `Bytes used, ${samples.length} samples from ${new Date(t0).toLocaleString()}`),
    svg("line", { class: "axis", x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }),
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: H - bottom }),
    svg("text", { x: left - 6, y: top + 4, "text-anchor": "end" }, bytes(top_)),
    svg("text", { x: left - 6, y: H - bottom, "text-anchor": "end" }, "0"),
    svg("text", { x: left, y: H - 8 }, clock(t0)),
    svg("text", { x: W - right, y: H - 8, "text-anchor": "end" }, clock(t1)),
    line("reclaimable", "reclaimable"),
    line("used", "used"),
  );
  const legend = el("p", { class: "legend" },
    el("span", { class: "key used" }, "used"), " ", el("span", { class: "key reclaimable" }, "reclaimable"));
  box.replaceChildren(chart, legend);
}
