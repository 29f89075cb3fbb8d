/** Where the store is when no --root says: light, for commands that need only the path. */
import process from "node:process";

/** SPEC §4: `$XDG_DATA_HOME/strata`, else `~/.local/share/strata`; `/var/lib/strata` for root. */
export function defaultRoot(env = process.env): string {
  if (env.STRATA_ROOT) return env.STRATA_ROOT;
  if (process.getuid?.() === 0) return "/var/lib/strata";
  if (env.XDG_DATA_HOME) return `${env.XDG_DATA_HOME}/strata`;
  // $HOME is what homedir() reads first; node:os loads only without it (~1 ms of a start).
  const home = env.HOME || process.getBuiltinModule("node:os").homedir();
  return `${home}/.local/share/strata`;
}
