/** References as users type them, by distribution's grammar. */
import { expect, test } from "bun:test";
import { formatReference, parseReference, parseRepository } from "../../src/remote/reference.ts";

const D = `sha256:${"ab".repeat(32)}`;

test("host, port, path, tag and digest are taken apart; the tag defaults to latest", () => {
  expect(parseReference("127.0.0.1:5000/cache/deps:v1")).toEqual({ registry: "127.0.0.1:5000", repository: "cache/deps", tag: "v1" });
  expect(parseReference("localhost/app")).toEqual({ registry: "localhost", repository: "app", tag: "latest" });
  expect(parseReference(`reg.example.com/a/b@${D}`)).toEqual({ registry: "reg.example.com", repository: "a/b", digest: D });
  expect(parseReference(`reg.example.com/a:v2@${D}`)).toEqual({ registry: "reg.example.com", repository: "a", tag: "v2", digest: D });
  expect(parseReference("[::1]:5000/x:y")).toEqual({ registry: "[::1]:5000", repository: "x", tag: "y" });
});

test("a name without a host is Docker Hub's, as docker reads it", () => {
  expect(parseReference("alpine")).toEqual({ registry: "docker.io", repository: "library/alpine", tag: "latest" });
  expect(parseReference("docker.io/library/alpine:3")).toEqual({ registry: "docker.io", repository: "library/alpine", tag: "3" });
  expect(parseReference("team/app:1")).toEqual({ registry: "docker.io", repository: "team/app", tag: "1" });
});

test("malformed references are usage errors", () => {
  for (const bad of ["", "127.0.0.1:5000/", "host.io/UPPER", "host.io/a:b:c", "host.io/a@sha256:xyz", "host.io/a:-tag", "host.io/a//b", "-bad.io/a"]) {
    expect(() => parseReference(bad)).toThrow(expect.objectContaining({ code: "usage" }));
  }
});

test("a repository has no tag or digest", () => {
  expect(parseRepository("127.0.0.1:5000/cache")).toEqual({ registry: "127.0.0.1:5000", repository: "cache" });
  expect(() => parseRepository("127.0.0.1:5000/cache:v1")).toThrow(expect.objectContaining({ code: "usage" }));
  expect(() => parseRepository(`127.0.0.1:5000/cache@${D}`)).toThrow(expect.objectContaining({ code: "usage" }));
});

test("a reference prints back pinned the way it was given", () => {
  expect(formatReference(parseReference("127.0.0.1:5000/a"))).toBe("127.0.0.1:5000/a:latest");
  expect(formatReference(parseReference(`127.0.0.1:5000/a:v@${D}`))).toBe(`127.0.0.1:5000/a@${D}`);
});
