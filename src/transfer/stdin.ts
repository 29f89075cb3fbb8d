/** A layer blob on standard input: `strata import -`. Read once, so never rewound. */
import process from "node:process";
import type { Source } from "./source.ts";

export const stdin: Source = {
  matches: (spec) => spec === "-",
  absolute: (spec) => spec,
  upload: true,
  layers: () => [{ open: () => process.stdin as AsyncIterable<Uint8Array>, rewindable: false }],
};
