import { encodePathSegment } from "../src/protocol/endpoint";
import { AgentRuntimeError, type InvalidParameterError } from "../src/protocol/errors";
import { uuidv4 } from "../src/protocol/uuid";
import { quoteForMessage } from "../src/protocol/validate";

/** Unit-level guarantees of the request-building helpers: typed errors only, nothing untyped escapes. */

function thrown(fn: () => unknown): AgentRuntimeError {
  try {
    fn();
  } catch (e) {
    expect(AgentRuntimeError.isInstance(e)).toBe(true);
    return e as AgentRuntimeError;
  }
  throw new Error("expected a throw");
}

describe("path segments", () => {
  test("!'()* are escaped as the AWS SDK does for labels, along with ':' and '/'", () => {
    expect(encodePathSegment("arn:aws:x/a!b*c'd(e)f")).toBe("arn%3Aaws%3Ax%2Fa%21b%2Ac%27d%28e%29f");
  });
  test.each([".", "..", ""])("%p is never a path segment", (value) => {
    const e = thrown(() => encodePathSegment(value));
    expect(e.name).toBe("InvalidParameterError");
    expect((e as InvalidParameterError).field).toBe("runtimeArn");
  });
  test.each(["\ud800", "a\udfffb", "\udc00\ud800"].map((v) => [JSON.stringify(v), v]))("a lone surrogate (%s) is a typed error, not a URIError", (_label, value) => {
    const e = thrown(() => encodePathSegment(value));
    expect(e.name).toBe("InvalidParameterError");
    expect(e.message).not.toMatch(/[\ud800-\udfff]/);
  });
});

describe("quoting caller input in messages", () => {
  test.each(["a\r\nb", "\n", "\u2028", "x\u0000y", "\ud800", "\u0085"].map((v) => [JSON.stringify(v), v]))("%s is escaped", (_label, value) => {
    const quoted = quoteForMessage(value);
    expect(quoted).not.toMatch(/[\r\n\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/);
  });
  test("long values are cut and their length given", () => {
    expect(quoteForMessage("x".repeat(1000))).toMatch(/^'x{80}…' \(1000 characters\)$/);
  });
  test("values whose toString throws are still described", () => {
    expect(quoteForMessage({ toString: () => { throw new Error("no"); } })).toBe("'[object Object]'");
  });
});

describe("session id generation", () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, "crypto")!;
  afterEach(() => Object.defineProperty(globalThis, "crypto", original));

  test("without randomUUID it falls back to getRandomValues", () => {
    const real = globalThis.crypto;
    Object.defineProperty(globalThis, "crypto", { value: { getRandomValues: (b: Uint8Array) => real.getRandomValues(b) }, configurable: true });
    expect(uuidv4()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  test("UUIDv4s across many random batches: well formed, version 4, RFC variant, all different", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = uuidv4();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
  });
  test("random bytes come from the crypto in place now: one replaced mid-batch is used at once", () => {
    uuidv4(); // a batch from the real crypto is in use
    Object.defineProperty(globalThis, "crypto", { value: { getRandomValues: (b: Uint8Array) => b.fill(0xff) }, configurable: true });
    expect(uuidv4()).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    Object.defineProperty(globalThis, "crypto", { value: { getRandomValues: (b: Uint8Array) => b.fill(0) }, configurable: true });
    expect(uuidv4()).toBe("00000000-0000-4000-8000-000000000000");
  });
  test("without Web Crypto it is a typed error naming sessionId, not a TypeError", () => {
    Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
    const e = thrown(() => uuidv4());
    expect(e.name).toBe("InvalidParameterError");
    expect((e as InvalidParameterError).field).toBe("sessionId");
  });
});
