/** Child process for tests: holds a record as this process, says "held", then waits to be killed. */
import { hostProcesses } from "../../src/runtime/processes.ts";
import { runtime } from "../../src/runtime/bun/index.ts";
import { openStore } from "../../src/store/store.ts";

const [root, id] = process.argv.slice(2);
const store = await openStore(`${root}/meta.db`, runtime.openSqlite, { now: () => Date.now() });
await store.write((tx) => tx.holds.add(id!, hostProcesses().self, null));
console.log("held");
setInterval(() => {}, 1 << 30);
