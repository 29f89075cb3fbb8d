/**
 * Debian's chromium, headless, through playwright-core: nothing downloads a browser. Each
 * launch gets a fresh profile directory, removed on close.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { type BrowserContext, chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

const args = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium`);
  // launchPersistentContext passes the directory as --user-data-dir.
  const profile = mkdtempSync(`${tmpdir()}/strata-chromium-`);
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
