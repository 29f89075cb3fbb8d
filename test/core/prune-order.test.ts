import { expect, test } from "bun:test";
import { removalOrder } from "../../src/core/prune.ts";

const node = (id: string, parents: string[] = [], keep = false) => ({ id, parents, keep });

test("children go before their parents", () => {
  const order = removalOrder([node("a"), node("b", ["a"]), node("c", ["b"])]);
  expect(order).toEqual(["c", "b", "a"]);
});

test("a kept record keeps its ancestors but not its siblings", () => {
  const order = removalOrder([node("a"), node("b", ["a"], true), node("c", ["a"]), node("d")]);
  expect(order.sort()).toEqual(["c", "d"]);
});

test("a parent with two children goes after both", () => {
  const order = removalOrder([node("p"), node("x", ["p"]), node("y", ["p"])]);
  expect(order.indexOf("p")).toBe(2);
});
