/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
 * loopback port, with its own config and storage in a temp dir, in one of four modes:
 * anonymous, htpasswd Basic auth, token auth (a JWT issuer on Bun.serve, below), or TLS
 * with a private CA. `startRegistry` returns once `/v2/` answers.
 *
 * What distribution 2.8 wants of a token (registry/auth/token/token.go, libtrust era):
 * a compact JWS signed RS256 (or ES256…) by a key whose certificate is in
 * `rootcertbundle`; the header names the key either by `x5c` (a chain up to that bundle)
 * or by `kid`, which must be the *libtrust key ID* of the public key: SHA-256 of its DER
 * SubjectPublicKeyInfo, first 240 bits, base32 without padding, in twelve groups of four
 * joined by `:` (distribution 3 changed this to the RFC 7638 thumbprint). Claims: `iss` =
 * the configured issuer, `aud` = the service, `exp` (required: a missing one is 1970)
 * and `nbf`, each with 60 s leeway, and `access: [{type, name, actions}]`.
 */
import { createHash, createSign, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

export type Mode = "anonymous" | "basic" | "token" | "tls";

export interface Issuer {
  url: string;
  /** Token requests answered (or refused), for counting cache hits. */
  hits: number;
  /** The method of each token request: GET with Basic auth, POST for a refresh token. */
  methods: string[];
  /** Seconds each token lives; `expires_in` is omitted when undefined. */
  expiresIn?: number;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as a reference names it. */
  host: string;
  url: string;
  dir: string;
  /** The CA of a TLS registry, a PEM file. */
  caFile?: string;
  issuer?: Issuer;
  /** The registry's log (warnings and errors), for a failing test to show. */
  log(): string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  mode?: Mode;
  /** Users and passwords for Basic and token auth. */
  users?: { [user: string]: string };
  /** Identity (refresh) tokens the issuer accepts, each for a user. */
  identityTokens?: { [token: string]: string };
  expiresIn?: number;
  /** Location headers relative to the request (`http.relativeurls`), for going through a proxy. */
  relativeUrls?: boolean;
}

const run = (cmd: string[], cwd: string) => {
  const r = Bun.spawnSync(cmd, { cwd, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
};

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** A CA and a server certificate for 127.0.0.1 and localhost it signed. */
function makeTls(dir: string) {
  run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=strata test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], dir);
  writeFileSync(`${dir}/server.ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], dir);
}

/** libtrust's key ID of a certificate's public key (see the header). */
export function libtrustKeyId(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  const bytes = createHash("sha256").update(der).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const b of bytes) bits += b.toString(2).padStart(8, "0");
  const b32 = bits.match(/.{5}/g)!.map((g) => alphabet[parseInt(g, 2)]).join("");
  return b32.match(/.{4}/g)!.join(":");
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** The token issuer: Basic users or refresh tokens in, RS256 JWTs granting what was asked out. */
function startIssuer(dir: string, opts: RegistryOptions, service: string) {
  run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "jwt.key", "-out", "jwt.pem", "-days", "2", "-subj", "/CN=strata test issuer"], dir);
  const key = readFileSync(`${dir}/jwt.key`, "utf8");
  const kid = libtrustKeyId(readFileSync(`${dir}/jwt.pem`, "utf8"));
  const issuer: Issuer = { url: "", hits: 0, methods: [], expiresIn: opts.expiresIn };
  const refuse = (message: string) => Response.json({ errors: [{ code: "UNAUTHORIZED", message }] }, { status: 401 });
  const sign = (sub: string, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.filter(Boolean).map((s) => {
      const [type, name, actions] = [s.slice(0, s.indexOf(":")), s.slice(s.indexOf(":") + 1, s.lastIndexOf(":")), s.slice(s.lastIndexOf(":") + 1)];
      return { type, name, actions: actions.split(",") };
    });
    const body = `${b64url(JSON.stringify({ typ: "JWT", alg: "RS256", kid }))}.${b64url(JSON.stringify({
      iss: "strata-test-issuer", sub, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access,
    }))}`;
    return `${body}.${b64url(createSign("RSA-SHA256").update(body).sign(key))}`;
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      issuer.hits++;
      issuer.methods.push(req.method);
      const url = new URL(req.url);
      const life = issuer.expiresIn === undefined ? {} : { expires_in: issuer.expiresIn };
      if (req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        const user = opts.identityTokens?.[form.get("refresh_token") ?? ""];
        if (form.get("grant_type") !== "refresh_token" || !user) return refuse("invalid refresh token");
        return Response.json({ access_token: sign(user, (form.get("scope") ?? "").split(" ")), ...life });
      }
      const [scheme, encoded] = (req.headers.get("authorization") ?? "").split(" ");
      const [user, pass] = scheme === "Basic" ? Buffer.from(encoded!, "base64").toString().split(/:(.*)/s) : [];
      if (!user || opts.users?.[user] !== pass) return refuse("authentication required");
      return Response.json({ token: sign(user, url.searchParams.getAll("scope").flatMap((s) => s.split(" "))), ...life });
    },
  });
  issuer.url = `http://127.0.0.1:${server.port}/token`;
  return { issuer, service, stop: () => server.stop(true) };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const mode = opts.mode ?? "anonymous";
  const dir = mkdtempSync(`${tmpdir()}/strata-registry-`);
  const config: { [k: string]: unknown } = {
    version: "0.1",
    log: { level: "warn", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: `${dir}/data` }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
  };
  let issuer: ReturnType<typeof startIssuer> | undefined;
  if (mode === "basic") {
    const lines = Object.entries(opts.users ?? {}).map(([u, p]) => run(["htpasswd", "-Bbn", u, p], dir).trim());
    writeFileSync(`${dir}/htpasswd`, lines.join("\n") + "\n");
    config.auth = { htpasswd: { realm: "strata-test", path: `${dir}/htpasswd` } };
  }
  if (mode === "token") {
    issuer = startIssuer(dir, opts, "strata-test-registry");
    config.auth = { token: { realm: issuer.issuer.url, service: issuer.service, issuer: "strata-test-issuer", rootcertbundle: `${dir}/jwt.pem` } };
  }
  if (mode === "tls") makeTls(dir);
  const caFile = mode === "tls" ? `${dir}/ca.pem` : undefined;
  const ca = caFile ? readFileSync(caFile, "utf8") : undefined;
  const logFile = `${dir}/registry.log`;
  for (let tries = 0; ; tries++) {
    const port = freePort();
    config.http = {
      addr: `127.0.0.1:${port}`,
      secret: "strata-test-secret",
      relativeurls: !!opts.relativeUrls,
      ...(mode === "tls" ? { tls: { certificate: `${dir}/server.pem`, key: `${dir}/server.key` } } : {}),
    };
    // YAML is a superset of JSON: the registry reads this as its config.
    writeFileSync(`${dir}/config.yml`, JSON.stringify(config, null, 2));
    const proc = Bun.spawn(["docker-registry", "serve", `${dir}/config.yml`], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdout: "ignore",
      stderr: Bun.file(logFile),
    });
    const url = `${mode === "tls" ? "https" : "http"}://127.0.0.1:${port}`;
    const log = () => {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    };
    // Readiness: poll /v2/ until the registry answers at all (any status), or it exits.
    for (let i = 0; i < 200 && proc.exitCode === null; i++) {
      const up = await fetch(`${url}/v2/`, ca ? ({ tls: { ca: [ca] } } as RequestInit) : {}).then(() => true, () => false);
      if (up) {
        return {
          host: `127.0.0.1:${port}`, url, dir, caFile, issuer: issuer?.issuer, log,
          async stop() {
            proc.kill();
            await proc.exited;
            issuer?.stop();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await Bun.sleep(50);
    }
    proc.kill();
    await proc.exited;
    // Another process may have taken the port between freePort and the registry's bind.
    if (tries < 3 && log().includes("address already in use")) continue;
    issuer?.stop();
    throw new Error(`docker-registry did not start:\n${log()}`);
  }
}

/** Bytes with the descriptor that names them. */
export function content(bytes: Uint8Array<ArrayBuffer>, mediaType: string) {
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  return { bytes, descriptor: { mediaType, digest, size: bytes.length } };
}

/** Random test content. */
export const blob = (size: number, mediaType = "application/vnd.oci.image.layer.v1.tar+gzip") =>
  content(new Uint8Array(randomBytes(size)), mediaType);

/** An image manifest's bytes for a config and layers (OCI unless told the Docker types). */
export function manifestBytes(
  config: { mediaType: string; digest: string; size: number },
  layers: { mediaType: string; digest: string; size: number }[],
  opts: { mediaType?: string; annotations?: { [k: string]: string } } = {},
): Uint8Array<ArrayBuffer> {
  const mediaType = opts.mediaType ?? "application/vnd.oci.image.manifest.v1+json";
  return new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType, config, layers, ...(opts.annotations ? { annotations: opts.annotations } : {}) }));
}

/** Chunks of `bytes`, `size` at a time, as an upload source. */
export async function* chunks(bytes: Uint8Array, size = 64 << 10): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Everything a stream gives, in one array. */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}
