/** `/v1/openapi.json`: every route of the operation table, described for OpenAPI 3.1. */
import pkg from "../../package.json" with { type: "json" };
import { type Field, fields } from "../api/fields.ts";
import { pathParams, type Route, routes } from "../api/operations.ts";

function jsonType(f: Field): object {
  const schema = f.kind === "bool" ? { type: "boolean" } : f.kind === "multi" ? { type: "array", items: { type: "string" } } : { type: "string" };
  return { ...schema, ...(f.choices ? { enum: f.choices } : {}), ...(f.description ? { description: f.description } : {}) };
}

function describe(o: Route) {
  const inPath = pathParams(o.path);
  const rest = fields(o.schema).filter((f) => !inPath.includes(f.name));
  // A blob body leaves the other fields to the query.
  const body = (o.method === "POST" || o.method === "PUT") && !o.blobBody;
  const required = rest.filter((f) => f.required).map((f) => f.name);
  return {
    summary: o.summary,
    parameters: [
      ...inPath.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      ...(body ? [] : rest.map((f) => ({ name: f.name, in: "query", required: f.required, schema: jsonType(f) }))),
    ],
    ...(body && rest.length
      ? {
        requestBody: {
          content: {
            "application/json": {
              schema: { type: "object", additionalProperties: false, required, properties: Object.fromEntries(rest.map((f) => [f.name, jsonType(f)])) },
            },
          },
        },
      }
      : o.blobBody ? { requestBody: { content: { "application/octet-stream": {} } } } : {}),
    responses: {
      "200": { description: "OK", content: { [o.stream ? "application/x-ndjson" : "application/json"]: {} } },
      default: { description: "Error: {error: {code, message}}", content: { "application/json": {} } },
    },
  };
}

/** The content store's routes (server/blobs.ts): raw bytes, not operations. */
function blobPaths() {
  const digest = { name: "digest", in: "path", required: true, schema: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" } };
  const error = { description: "Error: {error: {code, message}}", content: { "application/json": {} } };
  return {
    put: {
      summary: "store a blob, checked against its digest and Content-Length as it streams",
      parameters: [digest, { name: "lease", in: "query", required: false, schema: { type: "string" } }],
      requestBody: { content: { "application/octet-stream": {} } },
      responses: { "201": { description: "stored: {digest, size}" }, default: error },
    },
    get: {
      summary: "a blob's bytes; one Range is honoured (206)",
      parameters: [digest, { name: "range", in: "header", required: false, schema: { type: "string" } }],
      responses: { "200": { description: "OK", content: { "application/octet-stream": {} } }, "206": { description: "a range" }, default: error },
    },
    head: { summary: "a blob's Content-Length", parameters: [digest], responses: { "200": { description: "OK" }, default: error } },
  };
}

export function openapi() {
  const paths: { [path: string]: { [method: string]: object } } = {
    "/healthz": { get: { summary: "liveness, without auth", responses: { "200": { description: "OK" } } } },
    "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "OK" } } } },
    "/v1/blobs/{digest}": blobPaths(),
  };
  for (const o of Object.values(routes)) {
    const path = o.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[o.method.toLowerCase()] = describe(o);
  }
  return {
    openapi: "3.1.0",
    info: { title: "strata", version: pkg.version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
