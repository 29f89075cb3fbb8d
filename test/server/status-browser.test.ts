/**
 * The status page in a real browser (Debian's chromium, headless): log in with the token,
 * see a seeded root's records, sort and filter them, watch a prune appear in the history
 * without a reload, prune from the page; a wrong token shows an error and sets no cookie;
 * a form on another origin posting with the cookie is refused; no URL the page asks for
 * carries the token, and nothing is fetched from outside the daemon.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser.ts";
import { type Daemon, startDaemon } from "../helpers/daemon.ts";
import { cleanup, open, tempDir } from "../helpers/env.ts";

let root: string;
let d: Daemon;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const seeded: { [name: string]: string } = {};

beforeAll(async () => {
  root = tempDir();
  const svc = await open(root);
  const make = async (name: string, bytes: number, opts: Parameters<typeof svc.create>[0] = {}, commit = true) => {
    const m = await svc.create({ description: name, ...opts });
    writeFileSync(`${m.path}/data`, "x".repeat(bytes));
    seeded[name] = commit ? (await svc.commit({ id: m.id })).id : m.id;
  };
  await make("base layer", 30_000);
  await make("child layer", 10_000, { parent: seeded["base layer"] });
  await make("go build cache", 20_000, { type: "exec.cachemount", retain: true });
  await make("still open", 2_000, {}, false); // mutable, held for a day
  await make("doomed", 5_000);
  await svc.keySet({ name: "deps-1", ref: seeded["base layer"]! });
  await svc.keyGet({ name: "deps-1" });
  await expect(svc.keyGet({ name: "deps-2" })).rejects.toMatchObject({ code: "key_not_found" });
  await svc.close();
  d = await startDaemon(root, { gc: { enabled: false } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await d?.stop();
  cleanup(root);
});

/** A page that records every URL it asks for, and any script error or console error. */
async function watchedPage(context: BrowserContext) {
  const page = await context.newPage();
  const urls: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => void urls.push(r.url()));
  page.on("pageerror", (e) => void errors.push(String(e)));
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  return { page, urls, errors };
}

const rowsOf = (page: Page, table: string) => page.locator(`${table} tbody tr[data-id], ${table} tbody tr[data-run]`);
const columnText = (page: Page, n: number) => page.locator(`#records tbody tr[data-id] td:nth-child(${n})`).allTextContents();

test("a wrong token shows an error and sets no cookie", async () => {
  const { page, urls } = await watchedPage(browser.context);
  await page.goto(`${d.url}/`);
  await page.locator("#login").waitFor({ state: "visible" });
  await page.fill("#token", "not-the-token");
  await page.click("#login-form button[type=submit]");
  await page.locator("#login-error").waitFor({ state: "visible" });
  expect(await page.locator("#login-error").textContent()).toContain("wrong token");
  expect(await page.locator("#dashboard").isHidden()).toBe(true);
  expect(await browser.context.cookies()).toEqual([]);
  expect(urls.some((u) => u.includes("not-the-token"))).toBe(false);
  await page.close();
}, 120_000);

test("log in, see the records, sort, filter, watch a prune arrive, prune from the page", async () => {
  const { page, urls, errors } = await watchedPage(browser.context);
  await page.goto(`${d.url}/`);
  await page.fill("#token", d.token);
  await page.click("#login-form button[type=submit]");
  await page.locator("#dashboard").waitFor({ state: "visible" });

  // The cookie: a session, not the token; HttpOnly, so no script sees it.
  const cookies = await browser.context.cookies();
  expect(cookies).toEqual([expect.objectContaining({ name: "strata_session", httpOnly: true, sameSite: "Strict", path: "/" })]);
  expect(cookies[0]!.value).not.toContain(d.token);
  expect(await page.evaluate(() => document.cookie)).toBe("");

  // The seeded records, the mutable one marked, parents shown.
  await rowsOf(page, "#records").nth(4).waitFor();
  expect(await rowsOf(page, "#records").count()).toBe(5);
  const open = page.locator(`#records tr[data-id="${seeded["still open"]}"]`);
  expect(await open.getAttribute("class")).toBe("mutable");
  expect(await open.locator(".mark").textContent()).toBe("*");
  const child = page.locator(`#records tr[data-id="${seeded["child layer"]}"]`);
  expect(await child.locator("td.parents").textContent()).toBe(seeded["base layer"]!.slice(0, 12));

  // Sorting: size comes largest first (du's order); a click turns it around; by description.
  const sizes = async () => (await page.locator("#records tbody tr[data-id] td[data-bytes]").evaluateAll((tds) => tds.map((td) => Number(td.getAttribute("data-bytes")))));
  const first = await sizes();
  expect(first).toEqual([...first].sort((a, b) => b - a));
  await page.click('#records th[data-sort="size"]');
  expect(await page.getAttribute('#records th[data-sort="size"]', "aria-sort")).toBe("ascending");
  const second = await sizes();
  expect(second).toEqual([...first].sort((a, b) => a - b));
  await page.click('#records th[data-sort="description"]');
  const descriptions = await columnText(page, 10);
  expect(descriptions).toEqual(["base layer", "child layer", "doomed", "go build cache", "still open"]);

  // Filtering with du's syntax; a parent's ID filters to it; a bad filter is the API's error.
  await page.fill("#filter", "type==exec.cachemount");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#records tbody tr[data-id]").length === 1);
  expect(await columnText(page, 10)).toEqual(["go build cache"]);
  await page.fill("#filter", "colour==red");
  await page.click("#filter-form button[type=submit]");
  await page.locator("#records-error").waitFor({ state: "visible" });
  expect(await page.locator("#records-error").textContent()).toContain("colour");
  await page.fill("#filter", "");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#records tbody tr[data-id]").length === 5);
  await page.click(`#records tr[data-id="${seeded["child layer"]}"] td.parents button`);
  await page.waitForFunction(() => document.querySelectorAll("#records tbody tr[data-id]").length === 1);
  expect(await page.inputValue("#filter")).toBe(`id==${seeded["base layer"]}`);
  await page.fill("#filter", "");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#records tbody tr[data-id]").length === 5);

  // Keys: one exact hit, one miss, before the daemon started.
  await page.waitForFunction(() => document.querySelector('#key-rates [data-name="hit rate"]')?.textContent === "50%");

  // A prune from outside (the API, with the token): it shows up without a reload.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const pruned = await d.tcp("/v1/prune", { method: "POST", body: JSON.stringify({ filter: ["description==doomed"] }) });
  expect(pruned.status).toBe(200);
  await pruned.text();
  const run = page.locator('#history tr[data-trigger="prune"]');
  await run.first().waitFor({ timeout: 30_000 });
  expect(await run.first().locator("td[data-records]").getAttribute("data-records")).toBe("1");
  expect(await run.first().locator("td[data-bytes]").getAttribute("data-bytes")).not.toBe("0");
  await page.waitForFunction(() => document.querySelectorAll("#records tbody tr[data-id]").length === 4);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1); // the same document
  expect(await page.locator("#live").textContent()).toBe("live");

  const shot = `${tmpdir()}/strata-status-page-${process.pid}.png`;
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`status page screenshot: ${shot}`);

  // The page's own prune: a write with the session cookie and its CSRF header.
  await page.fill("#filter", "description==child layer");
  await page.click("#filter-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#records tbody tr[data-id]").length === 1);
  page.once("dialog", (dialog) => void dialog.accept());
  await page.click("#prune");
  await page.waitForFunction(() => document.querySelector("#prune-result")?.textContent?.startsWith("Pruned 1 record"));
  await page.waitForFunction(() => document.querySelectorAll('#history tr[data-trigger="prune"]').length === 2);
  expect((await d.tcp(`/v1/records/${seeded["child layer"]}`)).status).toBe(404);

  // No URL carried the token, and every one was the daemon's.
  expect(urls.length).toBeGreaterThan(10);
  expect(urls.filter((u) => u.includes(d.token))).toEqual([]);
  expect(urls.filter((u) => !u.startsWith(`${d.url}/`) && u !== "data:,")).toEqual([]);
  // The failed requests were the bad filter's 400s (a refresh may ask again while it stands);
  // nothing else went wrong: no CSP refusal, no script error.
  const badFilter = "Failed to load resource: the server responded with a status of 400 (Bad Request)";
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.filter((e) => e !== badFilter)).toEqual([]);
  await page.close();
}, 120_000);

test("a form on another origin posting with the cookie is refused, and prunes nothing", async () => {
  const before = (await (await d.tcp("/v1/du")).json()).records.length;
  expect(before).toBeGreaterThan(0);
  expect((await browser.context.cookies()).map((c) => c.name)).toEqual(["strata_session"]);
  // A form that would prune everything: text/plain turns name=value into a JSON body.
  const evil = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response(
        `<form method="post" action="${d.url}/v1/prune" enctype="text/plain">` +
          `<input type="hidden" name='{"all":true,"filter":["description!' value='nothing"]}'></form>` +
          `<script>document.forms[0].submit()</script>`,
        { headers: { "content-type": "text/html" } },
      ),
  });
  try {
    const page = await browser.context.newPage();
    // 127.0.0.1 on another port is the same site: SameSite=Strict lets the cookie go along.
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${d.url}/v1/prune`),
      page.goto(`http://127.0.0.1:${evil.port}/`),
    ]);
    expect((await res.request().allHeaders()).cookie).toContain("strata_session=");
    expect(res.status()).toBe(403);
    expect((await res.json()).error.code).toBe("unauthenticated");
    // From another site (localhost is not 127.0.0.1), the browser keeps the cookie back.
    const [res2] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${d.url}/v1/prune`),
      page.goto(`http://localhost:${evil.port}/`),
    ]);
    expect((await res2.request().allHeaders()).cookie).toBeUndefined();
    expect(res2.status()).toBe(401);
    await page.close();
  } finally {
    await evil.stop(true);
  }
  expect((await (await d.tcp("/v1/du")).json()).records.length).toBe(before);
}, 120_000);

test("log out: the cookie goes and the page asks for the token again", async () => {
  const page = await browser.context.newPage();
  await page.goto(`${d.url}/`);
  await page.locator("#logout").waitFor({ state: "visible" });
  await page.click("#logout");
  await page.locator("#login").waitFor({ state: "visible" });
  expect(await browser.context.cookies()).toEqual([]);
  await page.reload();
  await page.locator("#login").waitFor({ state: "visible" });
  await page.close();
}, 120_000);
