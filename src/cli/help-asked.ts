/**
 * The command an argv asks help for, when it asks only that (`help key set`, `prune
 * --help`, `--help`: `""` for strata's own); undefined for anything else, which the
 * parser answers. Light on purpose: the entry point asks it before the CLI loads.
 */
export function helpAsked(argv: string[]): string | undefined {
  const plain = (ws: string[]) => ws.every((w) => !w.startsWith("-"));
  if (argv[0] === "help" && plain(argv.slice(1))) return argv.slice(1).join(" ");
  const last = argv.at(-1);
  if ((last === "--help" || last === "-h") && plain(argv.slice(0, -1))) return argv.slice(0, -1).join(" ");
  return undefined;
}
