/**
 * What an input schema says about each of its fields, read from the valibot schema
 * itself: whether it is a switch, a value or a repeatable list, whether it is required,
 * its choices and its one-line description. CLI flags, query decoding, help and the
 * OpenAPI document all come from here, so none of them can drift from the schema that
 * validates the input.
 *
 *   fields(s.pruneInput).find((f) => f.name === "dryRun")  // { kind: "bool", flag: "dry-run", … }
 */
import * as v from "valibot";

export type FieldKind = "bool" | "value" | "multi";

export interface Field {
  /** The input field, as JSON and the query string name it. */
  name: string;
  /** The same as a CLI flag: `dryRun` is `--dry-run`. */
  flag: string;
  kind: FieldKind;
  required: boolean;
  description: string;
  /** The word for its value in help (`DUR`, `REF`), or its choices (`gzip|zstd|uncompressed`). */
  form: string;
  choices?: readonly string[];
}

type Node = v.GenericSchema & { wrapped?: Node; pipe?: Node[]; options?: readonly string[]; entries?: { [k: string]: Node } };

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function field(name: string, schema: Node): Field {
  const required = schema.type !== "optional";
  const inner = required ? schema : schema.wrapped!;
  const base = inner.pipe?.[0] ?? inner;
  const kind: FieldKind = base.type === "boolean" ? "bool" : base.type === "array" ? "multi" : "value";
  const meta = v.getMetadata(inner as never) as { what?: string; form?: string };
  const choices = base.options;
  return {
    name, flag: kebab(name), kind, required, description: meta.what ?? "", choices,
    form: meta.form ?? (choices ? choices.join("|") : "VALUE"),
  };
}

const memo = new WeakMap<object, Field[]>();

/** The fields of an object schema, in declaration order. */
export function fields(schema: v.GenericSchema): Field[] {
  let out = memo.get(schema);
  if (!out) {
    const entries = (schema as Node).entries ?? {};
    out = Object.entries(entries).map(([name, s]) => field(name, s));
    memo.set(schema, out);
  }
  return out;
}

/**
 * Query parameters as the schema wants them: lists for repeatable fields, `true` and
 * `false` for switches, single strings for the rest. Unknown names pass through as
 * strings, for the schema to refuse.
 */
export function fromQuery(schema: v.GenericSchema, query: { [name: string]: string[] }): { [field: string]: unknown } {
  const kinds = new Map(fields(schema).map((f) => [f.name, f.kind]));
  const out: { [field: string]: unknown } = {};
  for (const [name, values] of Object.entries(query)) {
    const kind = kinds.get(name);
    const first = values[0];
    out[name] = kind === "multi" ? values : kind === "bool" && (first === "true" || first === "false") ? first === "true" : first;
  }
  return out;
}

/** The other way: an input as query parameters (lists repeated, everything as text). */
export function toQuery(input: { [field: string]: unknown }): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, value] of Object.entries(input)) {
    if (value === undefined) continue;
    for (const x of Array.isArray(value) ? value : [value]) q.append(k, String(x));
  }
  return q;
}
