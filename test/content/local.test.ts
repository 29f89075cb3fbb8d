/** The local content store (an OCI image layout under ROOT/content) passes the content suite. */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { localContent } from "../../src/content/local.ts";
import { contentSuite } from "../conformance/content.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

contentSuite(test, "local", localContent);

test("the store is an OCI image layout, and a failed ingest leaves no temp file", async () => {
  const dir = tempDir();
  try {
    const store = localContent(dir, "test");
    expect(JSON.parse(readFileSync(`${dir}/content/oci-layout`, "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect(JSON.parse(readFileSync(`${dir}/content/index.json`, "utf8")).manifests).toEqual([]);
    const bad = store.ingest({ size: 1 });
    bad.write(new Uint8Array(5));
    await expect(bad.commit()).rejects.toMatchObject({ code: "integrity" });
    const aborted = store.ingest();
    aborted.write(new Uint8Array(5));
    aborted.abort();
    expect(readdirSync(`${dir}/content/ingest`)).toEqual([]);
  } finally {
    cleanup(dir);
  }
});
