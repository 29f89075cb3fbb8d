/** The status page's routes in `/v1/openapi.json` (the operations' routes are described from their table). */
import { limits } from "../../core/status.ts";

const ok = (type: string, description = "OK") => ({ "200": { description, content: { [type]: {} } } });
const failed = { default: { description: "Error: {error: {code, message}}", content: { "application/json": {} } } };
const limit = (max: number) => ({
  name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: max },
});
/** Routes anyone may call on TCP (the page, its files, the session probe, login). */
const open = { security: [] };

export function statusPaths() {
  return {
    "/": { get: { summary: "the status page (HTML)", ...open, responses: ok("text/html") } },
    "/status/{name}": {
      get: {
        summary: "the status page's scripts and stylesheet", ...open,
        parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
        responses: { ...ok("text/javascript"), ...failed },
      },
    },
    "/v1/status": { get: { summary: "usage now, each GC policy's limits beside it, the key hit rate", responses: { ...ok("application/json"), ...failed } } },
    "/v1/status/samples": {
      get: { summary: "usage over time, oldest first", parameters: [limit(limits.samples)], responses: { ...ok("application/json"), ...failed } },
    },
    "/v1/status/history": {
      get: { summary: "prune and GC runs with what each freed, newest first", parameters: [limit(limits.runs)], responses: { ...ok("application/json"), ...failed } },
    },
    "/v1/status/keys": {
      get: { summary: "key lookups: totals, hit rate, the newest", parameters: [limit(limits.lookups)], responses: { ...ok("application/json"), ...failed } },
    },
    "/v1/status/events": {
      get: { summary: "Server-Sent Events: `change` whenever the status may have moved", responses: { ...ok("text/event-stream"), ...failed } },
    },
    "/v1/status/session": {
      get: { summary: "whether this client may read, and how (socket, token, session); the session's CSRF value", ...open, responses: ok("application/json") },
    },
    "/v1/status/login": {
      post: {
        summary: "trade the token for a session cookie (HttpOnly, SameSite=Strict); 401 and no cookie for a wrong token", ...open,
        requestBody: {
          content: {
            "application/json": {
              schema: { type: "object", additionalProperties: false, required: ["token"], properties: { token: { type: "string" } } },
            },
          },
        },
        responses: { ...ok("application/json"), ...failed },
      },
    },
    "/v1/status/logout": {
      post: { summary: "end the session and clear its cookie (with the cookie: needs X-Strata-CSRF)", responses: { ...ok("application/json"), ...failed } },
    },
  };
}
