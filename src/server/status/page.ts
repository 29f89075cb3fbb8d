/**
 * `GET /` and `GET /status/NAME`: the status page and its files, from the binary. They
 * are open on TCP (they hold no data; the page asks for the token itself) and are sent
 * with a policy that lets the page load only its own files and talk only to this
 * server, and that no other site may frame it (the prune button is a write).
 */
import type { Hono } from "hono";
import { errorBody } from "../../api/wire.ts";
import { assets, pageHtml } from "../assets/index.ts";
import type { Env } from "../app.ts";

const security = {
  "content-security-policy": [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  // The files change with the binary: always ask, a daemon answers from memory.
  "cache-control": "no-cache",
};

export function mountPage(app: Hono<Env>) {
  app.get("/", (c) => c.body(pageHtml, 200, { ...security, "content-type": "text/html; charset=utf-8" }));
  app.get("/status/:name", (c) => {
    const file = Object.hasOwn(assets, c.req.param("name")) ? assets[c.req.param("name")] : undefined;
    if (!file) return c.json(errorBody("not_found", `no file ${c.req.path}`), 404);
    return c.body(file.body, 200, { ...security, "content-type": file.type });
  });
}
