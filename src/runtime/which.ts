/** Which runtime this is and its version, without loading its adapters. */
declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

export function runtimeName(): string {
  if (typeof Bun !== "undefined") return `bun ${Bun.version}`;
  if (typeof Deno !== "undefined") return `deno ${Deno.version.deno}`;
  return "unknown";
}
