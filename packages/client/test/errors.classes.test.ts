/**
 * Error classes: one per service error and per client-side failure, `instanceof` and `isInstance` across the
 * package's CommonJS and ESM copies in one process, typed fields (no index signature), and what an
 * `AbortSignal.timeout()` abort becomes.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  AbortError,
  AgentRuntimeError,
  ClientErrorNames,
  ConnectionTimeoutError,
  DeadlineExceededError,
  EndpointError,
  EventStreamFramingError,
  IdleTimeoutError,
  InsecureEndpointError,
  InvalidArnError,
  InvalidParameterError,
  InvalidResponseError,
  InvokeCommand,
  NetworkError,
  RequestTimeoutError,
  ResponseLimitExceededError,
  RuntimeClient,
  StreamAlreadyConsumedError,
  ThrottlingException,
  TokenProviderError,
  TruncatedStreamError,
  ValidationException,
  type AgentRuntimeErrorClass,
} from "@agentcore-runtime/client";
import * as sdk from "@agentcore-runtime/client";
import { callerAbortError, classFor, clientError, errorFromResponse, type AgentRuntimeError as SourceAgentRuntimeError } from "../src/protocol/errors";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

// every client-side failure's class, looked up by name among the package's root exports
const CLIENT_CLASSES: Record<string, AgentRuntimeErrorClass<AgentRuntimeError>> = Object.fromEntries(
  Object.values(ClientErrorNames).map((name) => [name, (sdk as unknown as Record<string, AgentRuntimeErrorClass<AgentRuntimeError>>)[name]]),
);

const BRAND = Symbol.for("@agentcore-runtime/client.AgentRuntimeError");
/** What an error thrown by another copy of the package looks like to this one: the brand and a name, another prototype. */
function foreign(name: string): Error {
  const e = new Error("from another copy");
  e.name = name;
  Object.defineProperty(e, BRAND, { value: true });
  return e;
}

describe("a class for every client-side failure", () => {
  test.each(Object.values(ClientErrorNames))("%s: exported, named, isInstance, instanceof; clientError() returns it", (name) => {
    const Class = CLIENT_CLASSES[name];
    expect(Class).toBeDefined();
    expect(Class.errorName).toBe(name);
    expect(Class.name).toBe(name); // the constructor's own name, not the factory's
    const direct = new Class({ message: "m" });
    expect(direct.name).toBe(name);
    expect(direct).toBeInstanceOf(Class);
    expect(direct).toBeInstanceOf(AgentRuntimeError);
    expect(direct).toBeInstanceOf(Error);
    const thrown = clientError(name, "m", { fields: { field: "x" } });
    expect(thrown).toBeInstanceOf(Class);
    expect(Class.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ name, message: "m", $fault: "client", field: "x" });
    expect(classFor(name)).toBe(Class);
    // no other class claims it
    for (const [other, OtherClass] of Object.entries(CLIENT_CLASSES)) {
      if (other === name || OtherClass === undefined) continue; // a missing export fails its own test, not every test
      expect([other, thrown instanceof OtherClass, OtherClass.isInstance(thrown)]).toEqual([other, false, false]);
    }
  });

  test("the ones this file names are among them", () => {
    const named = [InvalidArnError, InvalidParameterError, InsecureEndpointError, EndpointError, TokenProviderError, AbortError, ConnectionTimeoutError];
    const more = [RequestTimeoutError, IdleTimeoutError, DeadlineExceededError, NetworkError, EventStreamFramingError, TruncatedStreamError];
    const rest = [StreamAlreadyConsumedError, InvalidResponseError, ResponseLimitExceededError];
    for (const Class of [...named, ...more, ...rest]) expect(CLIENT_CLASSES[Class.errorName]).toBe(Class);
    expect(Object.keys(CLIENT_CLASSES).length).toBeGreaterThanOrEqual(16);
  });

  test("an unknown name (an agent's own error type) stays the base class", () => {
    expect(classFor("ValueError")).toBe(AgentRuntimeError);
    expect(classFor("toString")).toBe(AgentRuntimeError);
    expect(classFor("__proto__")).toBe(AgentRuntimeError);
  });
});

describe("Symbol.hasInstance", () => {
  test("an error of another copy (brand + name, another prototype) is instanceof the matching class only", () => {
    const e = foreign("ThrottlingException");
    expect(e instanceof ThrottlingException).toBe(true);
    expect(e instanceof AgentRuntimeError).toBe(true);
    expect(e instanceof ValidationException).toBe(false);
    expect(foreign("InvalidArnError") instanceof InvalidArnError).toBe(true);
    expect(foreign("InvalidArnError") instanceof InvalidParameterError).toBe(false);
    // an in-band agent error of another copy: the base class only
    expect(foreign("ValueError") instanceof AgentRuntimeError).toBe(true);
    expect(foreign("ValueError") instanceof ThrottlingException).toBe(false);
  });

  test("no brand, no match: a plain Error with a service name is not an AgentRuntimeError", () => {
    const e = Object.assign(new Error("x"), { name: "ThrottlingException" });
    expect(e instanceof ThrottlingException).toBe(false);
    expect(e instanceof AgentRuntimeError).toBe(false);
    for (const v of [null, undefined, 1, "ThrottlingException", {}]) expect(v instanceof AgentRuntimeError).toBe(false);
  });

  test("an application's own subclass keeps prototype semantics", () => {
    class MyError extends AgentRuntimeError {}
    const mine = new MyError({ message: "m" });
    expect(mine instanceof MyError).toBe(true);
    expect(mine instanceof AgentRuntimeError).toBe(true);
    // another error (even with the same name) is not an instance of it
    expect(new AgentRuntimeError({ message: "m", name: "MyError" }) instanceof MyError).toBe(false);
    expect(foreign("AgentRuntimeError") instanceof MyError).toBe(false);
    class MyThrottle extends ThrottlingException {}
    expect(new MyThrottle({ message: "m" }) instanceof ThrottlingException).toBe(true);
    expect(new ThrottlingException({ message: "m" }) instanceof MyThrottle).toBe(false);
  });

  test("errorFromResponse builds the class its status names", () => {
    const res = (statusCode: number, headers: Record<string, string> = {}) => ({ statusCode, headers, body: undefined }) as never;
    expect(errorFromResponse(res(429), "{}", {})).toBeInstanceOf(ThrottlingException);
    expect(errorFromResponse(res(429), "{}", {}).retryable).toBe(true);
    expect(errorFromResponse(res(400), '{"message":"bad","reason":"R"}', {})).toBeInstanceOf(ValidationException);
    expect(errorFromResponse(res(418), "{}", {}).name).toBe("AgentRuntimeError");
    expect(errorFromResponse(res(400, { "x-amzn-ErrorType": "ThrottlingException" }), "{}", {})).toBeInstanceOf(ThrottlingException);
  });
});

describe("CommonJS and ESM copies in one process", () => {
  const ROOT = path.resolve(__dirname, "../../..");
  const DIST = path.join(ROOT, "packages/client/dist");

  /** A concurrent `tsup` run empties dist for a moment; wait for the files (as the bundle test does). */
  async function waitForDist(files: string[], timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (!files.every((f) => fs.existsSync(path.join(DIST, f)))) {
      if (Date.now() - started > timeoutMs) throw new Error("packages/client/dist is incomplete: run `npx tsup` first");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  beforeAll(() => waitForDist(["index.js", "index.mjs"]));

  test("an error thrown by one copy is instanceof the other copy's classes (both ways)", () => {
    const script = `
      import { createRequire } from "node:module";
      const cjs = createRequire(import.meta.url)(${JSON.stringify(path.join(DIST, "index.js"))});
      const esm = await import(${JSON.stringify(path.join(DIST, "index.mjs"))});
      async function thrownBy(sdk) {
        const client = new sdk.RuntimeClient({ endpoint: "http://127.0.0.1:9", token: "t" });
        try { await client.send(new sdk.InvokeCommand({ runtimeArn: "not-an-arn", payload: {} })); } catch (e) { return e; } finally { client.destroy(); }
      }
      const check = (e, other) => ({
        name: e.name,
        distinctCopies: other.AgentRuntimeError !== (e.constructor.__proto__),
        base: e instanceof other.AgentRuntimeError,
        same: e instanceof other.InvalidArnError,
        sibling: e instanceof other.InvalidParameterError,
        service: e instanceof other.ValidationException,
        isInstance: other.InvalidArnError.isInstance(e),
      });
      const throttle = new esm.ThrottlingException({ message: "slow down" });
      console.log(JSON.stringify({
        esmToCjs: check(await thrownBy(esm), cjs),
        cjsToEsm: check(await thrownBy(cjs), esm),
        service: [throttle instanceof cjs.ThrottlingException, throttle instanceof cjs.ValidationException],
        copies: cjs.AgentRuntimeError !== esm.AgentRuntimeError,
      }));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
    if (child.status !== 0) throw new Error(`child node failed (${child.status}): ${child.stderr}`);
    const out = JSON.parse(child.stdout.trim().split("\n").pop()!);
    const expected = { name: "InvalidArnError", distinctCopies: true, base: true, same: true, sibling: false, service: false, isInstance: true };
    expect(out).toEqual({ esmToCjs: expected, cjsToEsm: expected, service: [true, false], copies: true });
  });
});

describe("typed fields (no index signature)", () => {
  test("known fields are typed on their classes; a typo does not compile; extra body fields are still copied", () => {
    const e = clientError(ClientErrorNames.invalidParameter, "bad", { fields: { field: "sessionId" } });
    const field: string | undefined = e.field;
    expect(field).toBe("sessionId");
    // @ts-expect-error: a typo of statusCode is a compile error (tsc checks this file)
    expect(e.statsCode).toBeUndefined();
    // (the source's class: clientError comes from the source, the package types from its build)
    const base: SourceAgentRuntimeError = e;
    // @ts-expect-error: `field` belongs to InvalidParameterError / InvalidArnError / TokenProviderError, not the base
    expect(base.field).toBe("sessionId");

    const limit = clientError(ClientErrorNames.limit, "too big", { fields: { limit: "maxEventBytes", limitBytes: 10 } });
    const which: "maxEventBytes" | "maxResponseBytes" | undefined = limit.limit;
    const bytes: number | undefined = limit.limitBytes;
    expect([which, bytes]).toEqual(["maxEventBytes", 10]);

    const res = { statusCode: 400, headers: {}, body: undefined } as never;
    const v = errorFromResponse(res, JSON.stringify({ message: "bad", reason: "FIELD", fieldList: [{ name: "a", message: "b" }], detail: "extra" }), {});
    if (!(v instanceof ValidationException)) throw new Error("expected a ValidationException");
    // narrowed by instanceof: reason and fieldList are typed
    const reason: string | undefined = v.reason;
    expect(reason).toBe("FIELD");
    expect(v.fieldList?.[0].name).toBe("a");
    // a field the SDK does not know is on the error at runtime, read with a cast (README "Errors")
    expect((v as AgentRuntimeError & { detail?: string }).detail).toBe("extra");
    // the base class carries what any error may carry
    const s: string | undefined = v.sessionId;
    const out: [string | undefined, string | undefined] = [v.stdout, v.stderr];
    expect([s, out]).toEqual([undefined, [undefined, undefined]]);
  });
});

describe("AbortSignal.timeout() is a timeout", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(() => {
      // never answers
    });
  });
  afterAll(() => server.close());

  test("a timed-out signal fails the call with DeadlineExceededError, the TimeoutError as its cause", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    const started = Date.now();
    const error = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { abortSignal: AbortSignal.timeout(150) }).catch((e: unknown) => e);
    client.destroy();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).not.toBeInstanceOf(AbortError);
    const e = error as DeadlineExceededError;
    expect(e).toMatchObject({ name: "DeadlineExceededError", $fault: "client", retryable: false });
    expect((e.cause as Error).name).toBe("TimeoutError");
  });

  test("any other abort stays AbortError with its reason as the cause", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    const controller = new AbortController();
    const reason = new Error("user went away");
    const run = client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { abortSignal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(reason), 50);
    const error = await run;
    client.destroy();
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toBe(reason);
  });

  test("an already timed-out signal, and the mapping itself", async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(signal.aborted).toBe(true);
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const error = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { abortSignal: signal }).catch((e: unknown) => e);
    client.destroy();
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(callerAbortError(new DOMException("t", "TimeoutError"))).toBeInstanceOf(DeadlineExceededError);
    expect(callerAbortError(new DOMException("a", "AbortError"))).toBeInstanceOf(AbortError);
    expect(callerAbortError(undefined)).toBeInstanceOf(AbortError);
  });
});

// a reader looks a failure's name up in the READMEs' list of client-side failures: every one of them is there
test.each(["README.md", "packages/client/README.md"])("%s names every client-side failure in ClientErrorNames", (readme) => {
  const text = fs.readFileSync(path.join(__dirname, "../../..", readme), "utf8");
  const list = text.split("**Client-side failures** (names in `ClientErrorNames`)")[1]?.split("\n- **")[0];
  expect(list).toBeDefined();
  const missing = Object.values(ClientErrorNames).filter((name) => !list!.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});
