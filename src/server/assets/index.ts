/// <reference path="./text.d.ts" />
/**
 * The status page's files, embedded in the binary as text (as the migrations are) and
 * served from memory: no CDN, nothing fetched or read from disk at run time. The page
 * is plain HTML, CSS and ES modules; the chart is inline SVG, so no library is needed.
 */
import chart from "./chart.js" with { type: "text" };
import dom from "./dom.js" with { type: "text" };
import html from "./page.html" with { type: "text" };
import css from "./page.css" with { type: "text" };
import page from "./page.js" with { type: "text" };
import records from "./records.js" with { type: "text" };
import views from "./views.js" with { type: "text" };

/** The page itself. bun-types calls an `.html` import an HTML bundle; imported as text it is the file's text. */
export const pageHtml = html as unknown as string;

const js = "text/javascript; charset=utf-8";

/** Files under `/status/`, by name. */
export const assets: { [name: string]: { type: string; body: string } } = {
  "page.css": { type: "text/css; charset=utf-8", body: css },
  "page.js": { type: js, body: page },
  "dom.js": { type: js, body: dom },
  "records.js": { type: js, body: records },
  "views.js": { type: js, body: views },
  "chart.js": { type: js, body: chart },
};
