/** Progress goes to stderr only when stderr is a terminal: a pseudo-terminal is one; a pipe, a file and /dev/null are not. */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { cleanup, repo, tempDir } from "../helpers/env.ts";

const ask = `${process.execPath} -e 'import("${repo}/src/cli/io.ts").then((m) => process.stdout.write(String(m.stderrIsTerminal())))'`;

test("stderr is a terminal on a pseudo-terminal, not on a pipe, a file or /dev/null", () => {
  const dir = tempDir();
  try {
    const answer = (redirect: string) => execFileSync("sh", ["-c", `${ask} ${redirect}`]).toString().trim();
    expect(answer("2>&1 | cat")).toBe("false");
    expect(answer("2>/dev/null")).toBe("false");
    expect(answer(`2>${dir}/err`)).toBe("false");
    // `script` runs the command on a pseudo-terminal; what it prints is what the terminal saw.
    expect(execFileSync("script", ["-qec", ask, "/dev/null"]).toString().trim()).toBe("true");
  } finally {
    cleanup(dir);
  }
});
