import { EventEmitter } from "node:events";
import { inspect } from "node:util";
import { redact, REDACTED } from "../src/protocol/redact";

// The package's one redaction function: patterns plus exact secrets, at any depth and shape.

const OPAQUE = "opaqueSecretToken-1234567890abcdef";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const everywhere = (x: unknown) => inspect(x, { showHidden: true, depth: null });

test("strings: Bearer credentials, JWTs and the WebSocket subprotocol by pattern, opaque tokens only when known", () => {
  expect(redact(`Authorization: Bearer ${OPAQUE}`)).toBe(`Authorization: Bearer ${REDACTED}`);
  expect(redact(`token ${JWT} here`)).toBe(`token ${REDACTED} here`);
  expect(redact("base64UrlBearerAuthorization.ZXlKaGJHY2lPaUpJVXpJMU5pSjk")).toBe(`base64UrlBearerAuthorization.${REDACTED}`);
  expect(redact(`raw ${OPAQUE}`)).toBe(`raw ${OPAQUE}`);
  expect(redact(`raw ${OPAQUE}`, [OPAQUE])).toBe(`raw ${REDACTED}`);
  expect(redact("a bearer token is required")).toBe("a bearer token is required");
  // secrets too short to be told from ordinary text are not replaced
  expect(redact("a b c", ["a"])).toBe("a b c");
});

test("objects, arrays and errors at any depth, non-enumerable fields and the cause chain included", () => {
  let deep: Record<string, unknown> = { leaf: [OPAQUE] };
  for (let i = 0; i < 50; i++) deep = { [`level${i}`]: deep, [`note${i}`]: `Bearer ${OPAQUE}` };
  const inner = new Error(`inner ${OPAQUE}`);
  Object.defineProperty(inner, "hidden", { value: { token: OPAQUE }, enumerable: false, writable: true, configurable: true });
  const outer = Object.assign(new Error(`outer ${OPAQUE}`, { cause: inner }), { deep, list: [[[[OPAQUE]]]], map: new Map([["k", OPAQUE]]) });
  const same = redact(outer, [OPAQUE]);
  expect(same).toBe(outer);
  expect(outer.cause).toBe(inner);
  expect(everywhere(outer)).not.toContain(OPAQUE);
  expect(outer.message).toBe(`outer ${REDACTED}`);
  expect(inner.stack).not.toContain(OPAQUE);
});

test("cycles are fine", () => {
  const a: Record<string, unknown> = { token: OPAQUE };
  const b: Record<string, unknown> = { a, again: OPAQUE };
  a.b = b;
  a.self = a;
  redact(a, [OPAQUE]);
  expect(everywhere(a)).not.toContain(OPAQUE);
});

test("a frozen snapshot is replaced by a redacted frozen copy; bytes are redacted as text", () => {
  const snapshot = Object.freeze({ statusCode: 401, headers: Object.freeze({ "x-echo": OPAQUE }), body: new TextEncoder().encode(`{"t":"${OPAQUE}"}`) });
  const holder = { snapshot };
  redact(holder, [OPAQUE]);
  expect(holder.snapshot).not.toBe(snapshot);
  expect(Object.isFrozen(holder.snapshot)).toBe(true);
  expect(holder.snapshot.headers["x-echo"]).toBe(REDACTED);
  expect(new TextDecoder().decode(holder.snapshot.body)).toBe(`{"t":"${REDACTED}"}`);
  expect(holder.snapshot.statusCode).toBe(401);
});

test("live Node objects inside an error are replaced, getters are not run", () => {
  const request = Object.assign(new EventEmitter(), { _header: `Authorization: Bearer ${OPAQUE}` });
  let ran = false;
  const error = Object.assign(new Error("failed"), { request });
  Object.defineProperty(error, "lazy", { get: () => ((ran = true), OPAQUE), enumerable: false });
  redact(error, [OPAQUE]);
  expect(ran).toBe(false);
  expect((error as unknown as { request: unknown }).request).toBe("[EventEmitter removed]");
  expect(inspect(error, { showHidden: true, depth: null })).not.toContain(`Bearer ${OPAQUE}`);
});
