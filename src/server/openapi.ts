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

export function openapi() {
  const paths: { [path: string]: { [method: string]: object } } = {
    "/healthz": { get: { summary: "liveness, without auth", responses: { "200": { description: "OK" } } } },
    "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "OK" } } } },
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
