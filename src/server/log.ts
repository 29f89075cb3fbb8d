/** Structured logs: one JSON object a line on stderr. */
import { writeSync } from "node:fs";

export type Log = (level: "info" | "warn" | "error", msg: string, fields?: { [k: string]: unknown }) => void;

export const jsonLog: Log = (level, msg, fields = {}) => {
  writeSync(2, JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
};
