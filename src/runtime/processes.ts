/**
 * Process identity for holds: `pid:starttime` from /proc, so a pid reused by another
 * process after a crash never keeps a dead holder's hold alive.
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import type { Processes } from "../core/ports/host.ts";

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) counts from the field after the parenthesized name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

export function hostProcesses(): Processes {
  const self = `${process.pid}:${startTime(process.pid) ?? "0"}`;
  return {
    self,
    alive(owner) {
      if (owner === self) return true;
      const [pid, start] = owner.split(":");
      return startTime(Number(pid)) === start;
    },
  };
}
