/**
 * Transport rules without a network: a stub fetch stands in for every host, so what the
 * client tries, and in which scheme, is all there is to see.
 */
import { expect, test } from "bun:test";
import { createRegistry } from "../../src/remote/client.ts";
import { isLoopback, plainAllowed } from "../../src/remote/transport.ts";

const quick = { sleep: async () => {} };
const D = `sha256:${"0".repeat(64)}`;

/** A fetch that answers from `handler` and records every URL asked for. */
function stub(handler: (req: Request) => Response | Promise<Response>) {
  const asked: Request[] = [];
  const fetcher = (async (input: string | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    asked.push(req);
    return handler(req);
  }) as typeof fetch;
  return { fetcher, asked };
}

/** TLS that fails the way a runtime's fetch fails on a host that only speaks HTTP. */
const noTls = () => Promise.reject(new TypeError("fetch failed: wrong version number"));

test("loopback is 127.0.0.0/8, ::1 and localhost, with or without a port", () => {
  for (const h of ["127.0.0.1", "127.0.0.1:5000", "127.255.0.9:80", "localhost", "LOCALHOST:5000", "[::1]", "[::1]:5000"]) expect(isLoopback(h)).toBe(true);
  for (const h of ["128.0.0.1", "10.0.0.1:5000", "localhost.example.com", "127.0.0.1.nip.io", "[::2]:5000", "registry:5000"]) expect(isLoopback(h)).toBe(false);
});

test("plain HTTP is allowed to loopback and to hosts named insecure, by name or with the port", () => {
  expect(plainAllowed("registry.lan:5000", [])).toBe(false);
  expect(plainAllowed("registry.lan:5000", ["registry.lan:5000"])).toBe(true);
  expect(plainAllowed("registry.lan:5000", ["registry.lan"])).toBe(true);
  expect(plainAllowed("registry.lan:5001", ["registry.lan:5000"])).toBe(false);
  expect(plainAllowed("127.0.0.1:5000", [])).toBe(true);
});

test("a registry that is not loopback is never asked in plain HTTP", async () => {
  const { fetcher, asked } = stub((req) => (req.url.startsWith("https:") ? noTls() : new Response("{}")));
  const err = await createRegistry({ fetch: fetcher, retry: quick }).hasBlob("registry.lan:5000/app", D).catch((e) => e);
  expect(err.code).toBe("remote_refused");
  expect(err.message).toContain("cannot reach https://registry.lan:5000");
  expect(asked.length).toBe(5);
  expect(asked.every((r) => r.url.startsWith("https://"))).toBe(true);
});

test("named insecure, it is asked in plain HTTP once HTTPS fails, and then only so", async () => {
  const { fetcher, asked } = stub((req) => {
    if (req.url.startsWith("https:")) return noTls();
    return new URL(req.url).pathname === "/v2/" ? Response.json({}, { headers: { "docker-distribution-api-version": "registry/2.0" } }) : new Response(null, { status: 404 });
  });
  const registry = createRegistry({ fetch: fetcher, insecure: ["registry.lan"], retry: quick });
  expect(await registry.hasBlob("registry.lan:5000/app", D)).toBe(false);
  expect(await registry.hasBlob("registry.lan:5000/app", D)).toBe(false);
  expect(asked.map((r) => `${r.method} ${r.url}`)).toEqual([
    "GET https://registry.lan:5000/v2/",
    "GET http://registry.lan:5000/v2/",
    `HEAD http://registry.lan:5000/v2/app/blobs/${D}`,
    `HEAD http://registry.lan:5000/v2/app/blobs/${D}`,
  ]);
});

const registryRoot = () => Response.json({}, { headers: { "docker-distribution-api-version": "registry/2.0" } });

test("on a loopback address a registry's answer in plain HTTP settles the scheme: HTTPS is not tried", async () => {
  const { fetcher, asked } = stub((req) => {
    if (req.url.startsWith("https:")) return new Promise<Response>(() => {}); // a TLS attempt would never end
    return new URL(req.url).pathname === "/v2/" ? registryRoot() : new Response(null, { status: 404 });
  });
  expect(await createRegistry({ fetch: fetcher, retry: quick }).hasBlob("127.0.0.1:5000/app", D)).toBe(false);
  expect(asked.map((r) => `${r.method} ${r.url}`)).toEqual(["GET http://127.0.0.1:5000/v2/", `HEAD http://127.0.0.1:5000/v2/app/blobs/${D}`]);
});

test("localhost, a name that may stand for several addresses, still tries HTTPS first", async () => {
  const { fetcher, asked } = stub((req) => (req.url.startsWith("https:") ? noTls() : new URL(req.url).pathname === "/v2/" ? registryRoot() : new Response(null, { status: 404 })));
  expect(await createRegistry({ fetch: fetcher, retry: quick }).hasBlob("localhost:5000/app", D)).toBe(false);
  expect(asked.map((r) => r.url).slice(0, 2)).toEqual(["https://localhost:5000/v2/", "http://localhost:5000/v2/"]);
});

test("a loopback port silent to plain HTTP is asked in HTTPS after a second", async () => {
  const { fetcher, asked } = stub((req) => {
    if (req.url.startsWith("http:")) {
      // Silent until the caller gives up, as a TLS port waiting for a handshake may be.
      return new Promise<Response>((_, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason)));
    }
    return new URL(req.url).pathname === "/v2/" ? registryRoot() : new Response(null, { status: 404 });
  });
  expect(await createRegistry({ fetch: fetcher, retry: quick }).hasBlob("127.0.0.1:5000/app", D)).toBe(false);
  expect(asked.map((r) => `${r.method} ${r.url}`)).toEqual([
    "GET http://127.0.0.1:5000/v2/", "GET https://127.0.0.1:5000/v2/", `HEAD https://127.0.0.1:5000/v2/app/blobs/${D}`,
  ]);
});

test("a TLS server's 400 to plain HTTP is not taken for a registry", async () => {
  const { fetcher } = stub((req) => (req.url.startsWith("https:") ? Promise.reject(new TypeError("unable to verify the first certificate")) : new Response("Client sent an HTTP request to an HTTPS server.", { status: 400 })));
  const err = await createRegistry({ fetch: fetcher, retry: quick }).hasBlob("127.0.0.1:5000/app", D).catch((e) => e);
  expect(err.code).toBe("remote_refused");
  expect(err.message).toContain("unable to verify the first certificate");
  expect(err.message).toContain("--ca-file");
});

test("a blob redirected to another origin is fetched there without Authorization", async () => {
  const blobBytes = new TextEncoder().encode("hello");
  const digest = `sha256:${new Bun.CryptoHasher("sha256").update(blobBytes).digest("hex")}`;
  const { fetcher, asked } = stub((req) => {
    const url = new URL(req.url);
    if (url.host === "storage.example") return new Response(blobBytes);
    if (url.pathname === "/v2/") return new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
    return new Response(null, { status: 307, headers: { location: "https://storage.example/signed?sig=1" } });
  });
  const registry = createRegistry({ fetch: fetcher, credentials: () => ({ username: "u", password: "p" }) });
  const chunks: Uint8Array[] = [];
  for await (const c of await registry.fetchBlob("reg.example/app", { mediaType: "x", digest, size: 5 })) chunks.push(c);
  expect(new TextDecoder().decode(chunks[0])).toBe("hello");
  const [, toRegistry, toStorage] = asked;
  expect(toRegistry!.headers.get("authorization")).toStartWith("Basic ");
  expect(toStorage!.url).toBe("https://storage.example/signed?sig=1");
  expect(toStorage!.headers.get("authorization")).toBeNull();
});

test("credentials are not sent to a plain-HTTP token realm on another host", async () => {
  const { fetcher, asked } = stub((req) => {
    const url = new URL(req.url);
    if (url.pathname === "/v2/") return new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer realm="http://auth.example/token",service="reg"' } });
    return new Response(null, { status: 404 });
  });
  const err = await createRegistry({ fetch: fetcher, credentials: () => ({ username: "u", password: "secret-pw" }) }).hasBlob("reg.example/app", D).catch((e) => e);
  expect(err.code).toBe("remote_refused");
  expect(err.message).toContain("plain HTTP");
  expect(asked.some((r) => r.url.startsWith("http://auth.example"))).toBe(false);
});
