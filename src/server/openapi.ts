/** `/v1/openapi.json`: every route of the operation table, described for OpenAPI 3.1. */
import pkg from "../../package.json" with { type: "json" };
import { type Operation, operations, pathParams } from "../api/operations.ts";
import { cookieName } from "./status/guard.ts";
import { statusPaths } from "./status/openapi.ts";

type Entries = { [field: string]: { type?: string; wrapped?: { type?: string }; expects?: string } };

function jsonType(schema: { type?: string; wrapped?: { type?: string } }): object {
  const type = schema.type === "optional" ? schema.wrapped?.type : schema.type;
  if (type === "boolean") return { type: "boolean" };
  if (type === "array") return { type: "array", items: { type: "string" } };
  return { type: "string" };
}

function describe(o: Operation) {
  const entries = ((o.schema as unknown as { entries?: Entries }).entries ?? {}) as Entries;
  const inPath = pathParams(o.path);
  const rest = Object.keys(entries).filter((f) => !inPath.includes(f));
  const body = o.method === "POST" || o.method === "PUT";
  const required = rest.filter((f) => entries[f]!.type !== "optional");
  return {
    summary: o.summary,
    parameters: [
      ...inPath.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      ...(body ? [] : rest.map((name) => ({ name, in: "query", required: required.includes(name), schema: jsonType(entries[name]!) }))),
    ],
    ...(body && rest.length
      ? {
        requestBody: {
          content: {
            "application/json": {
              schema: { type: "object", additionalProperties: false, required, properties: Object.fromEntries(rest.map((f) => [f, jsonType(entries[f]!)])) },
            },
          },
        },
      }
      : {}),
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
    ...statusPaths(),
  };
  for (const o of Object.values(operations) as Operation[]) {
    const path = o.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[o.method.toLowerCase()] = describe(o);
  }
  return {
    openapi: "3.1.0",
    info: { title: "strata", version: pkg.version },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        // The status page's session (status/login.ts); writes with it also need X-Strata-CSRF.
        session: { type: "apiKey", in: "cookie", name: cookieName },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
