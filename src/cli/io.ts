/**
 * Output straight to file descriptors 1 and 2. Bun's `process.stdout` costs ~10 ms to
 * set up, twice what the rest of `strata version` takes.
 */
import { fstatSync, writeSync } from "node:fs";
import process from "node:process";

const encoder = new TextEncoder();

function write(fd: number, text: string) {
  let bytes = encoder.encode(text);
  while (bytes.length) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      // A non-blocking pipe that is full: wait for the reader.
      const code = (err as { code?: string }).code;
      // The reader went away (`strata du --json | head`): stop quietly, as other CLIs do.
      if (code === "EPIPE") process.exit(0);
      if (code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export const stdout = (text: string) => write(1, text);

/**
 * Writes a value as JSON, streaming large arrays a slice at a time: the same bytes as
 * JSON.stringify, without building one string of tens of megabytes first.
 */
export function stdoutJson(value: unknown): void {
  const entries = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.entries(value) : [];
  if (!entries.some(([, v]) => Array.isArray(v) && v.length > 1000)) return stdout(JSON.stringify(value) + "\n");
  stdout("{");
  entries.forEach(([key, v], i) => {
    stdout(`${i ? "," : ""}${JSON.stringify(key)}:`);
    if (Array.isArray(v) && v.length > 1000) {
      stdout("[");
      for (let at = 0; at < v.length; at += 1000) {
        const slice = JSON.stringify(v.slice(at, at + 1000));
        stdout((at ? "," : "") + slice.slice(1, -1));
      }
      stdout("]");
    } else stdout(JSON.stringify(v) ?? "null");
  });
  stdout("}\n");
}
export const stderr = (text: string) => write(2, text);

/**
 * Majors of Linux's tty drivers (Documentation/admin-guide/devices.txt): virtual consoles
 * and 8250 serial lines (4), /dev/tty and /dev/console (5), pseudo-terminals (136–143),
 * USB serial (ttyACM 166, ttyUSB 188), other serial lines such as ttyAMA (204) and
 * hypervisor consoles (hvc, 229).
 */
const TTY_MAJORS = new Set([4, 5, 136, 137, 138, 139, 140, 141, 142, 143, 166, 188, 204, 229]);

/** Whether a character device number belongs to a terminal (see TTY_MAJORS). */
export const isTerminalDevice = (rdev: number) => TTY_MAJORS.has(Math.floor(rdev / 256) & 0xfff);

/**
 * Whether stderr is a terminal, by its device number: node:tty's isatty would load
 * node:tty and node:stream (~5 ms of a fresh process) for one answer.
 */
export function stderrIsTerminal(): boolean {
  try {
    const st = fstatSync(2);
    return st.isCharacterDevice() && isTerminalDevice(st.rdev);
  } catch {
    return false;
  }
}
