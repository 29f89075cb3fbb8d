/** Progress goes to stderr only when stderr is a terminal: a pseudo-terminal is one; a pipe, a file and /dev/null are not. */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { isTerminalDevice } from "../../src/cli/io.ts";
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

/** Linux's dev_t as glibc's makedev packs it: the minor's high bits sit above the major. */
const makedev = (major: number, minor: number) => (minor & 0xff) + (major << 8) + (minor & ~0xff) * 4096;

test("terminal devices are known by their driver's major: consoles, serial lines, pseudo-terminals, USB and hypervisor consoles", () => {
  const terminals = {
    "/dev/tty1": [4, 1], "/dev/ttyS0": [4, 64], "/dev/tty": [5, 0], "/dev/console": [5, 1],
    "/dev/pts/0": [136, 0], "/dev/pts/300": [136, 300], "/dev/pts/2000": [143, 2000],
    "/dev/ttyACM0": [166, 0], "/dev/ttyUSB0": [188, 0], "/dev/ttyAMA0": [204, 64], "/dev/hvc0": [229, 0],
  };
  // /dev/fuse has minor 229, hvc's major: only the major counts.
  const others = { "/dev/null": [1, 3], "/dev/urandom": [1, 9], "/dev/fuse": [10, 229], "/dev/loop0": [7, 0], "/dev/sda": [8, 0] };
  for (const [name, [major, minor]] of Object.entries(terminals)) expect([name, isTerminalDevice(makedev(major!, minor!))]).toEqual([name, true]);
  for (const [name, [major, minor]] of Object.entries(others)) expect([name, isTerminalDevice(makedev(major!, minor!))]).toEqual([name, false]);
});

test("makedev above packs device numbers as the kernel reports them", () => {
  expect(statSync("/dev/null").rdev).toBe(makedev(1, 3));
  expect(statSync("/dev/zero").rdev).toBe(makedev(1, 5));
});
