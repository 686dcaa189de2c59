/**
 * The middleware stack, its cached order and the core request path under unusual middleware, against a real HTTP server on
 * 127.0.0.1. Reference semantics: @smithy/middleware-stack (what the AWS SDK v3 client runs: the client stack
 * concatenated with the command's, serde on the command's stack).
 */
import { InvokeCommand, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";
import { constructStack } from "@smithy/middleware-stack";
import type { HttpRequest } from "@smithy/protocol-http";
import fc from "fast-check";
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand } from "@aws-sdk/client-bedrock-agentcore";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

jest.setTimeout(20_000);

const OTHER_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.b3RoZXItc2lnbmF0dXJl";
const sid = (i: number) => `session-${String(i).padStart(6, "0")}-0123456789-0123456789-01`;

let server: TestServer;
// requests whose session id is in `held` wait until release() is called
let held = new Set<string>();
let waiting: (() => void)[] = [];
const release = () => {
  const w = waiting;
  waiting = [];
  for (const f of w) f();
};
beforeAll(async () => {
  server = await startServer((req, res) => {
    const reply = () => {
      res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "rid-s8", "x-s8-seen-auth": String(req.headers.authorization ?? "") });
      res.end('{"ok":true}');
    };
    const session = String(req.headers["x-amzn-bedrock-agentcore-runtime-session-id"] ?? "");
    if (held.has(session)) waiting.push(reply);
    else reply();
  });
});
afterAll(async () => {
  release();
  await server.close();
});

const newClient = (extra: Record<string, unknown> = {}) => new RuntimeClient({ endpoint: server.url, token: TOKEN, requestTimeout: 5000, ...extra });
const invoke = (i = 0, extra: Record<string, unknown> = {}) => new InvokeCommand({ runtimeArn: ARN, sessionId: sid(i), payload: { i }, ...extra });
const OPTS = { deadline: 8000 };

// ---------------------------------------------------------------------------------------------------------------
// 1. The cached order equals @smithy/middleware-stack's order for any sequence of stack changes between sends
// ---------------------------------------------------------------------------------------------------------------

type Op =
  | { kind: "add"; step: string; priority: string; tag: boolean }
  | { kind: "rel"; relation: "before" | "after"; target: number }
  | { kind: "removeName"; target: number }
  | { kind: "removeRef"; target: number }
  | { kind: "removeTag" }
  | { kind: "use" }
  | { kind: "override"; target: number }
  | { kind: "send" };

const STEPS = ["initialize", "serialize", "build", "finalizeRequest", "deserialize"];
const PRIORITIES = ["high", "normal", "low"];
const BUILTINS = ["retryMiddleware", "bearerAuthMiddleware", "serializerMiddleware", "deserializerMiddleware"];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), step: fc.constantFrom(...STEPS), priority: fc.constantFrom(...PRIORITIES), tag: fc.boolean() }),
  fc.record({ kind: fc.constant("rel" as const), relation: fc.constantFrom("before" as const, "after" as const), target: fc.nat(30) }),
  fc.record({ kind: fc.constant("removeName" as const), target: fc.nat(30) }),
  fc.record({ kind: fc.constant("removeRef" as const), target: fc.nat(30) }),
  fc.record({ kind: fc.constant("removeTag" as const) }),
  fc.record({ kind: fc.constant("use" as const) }),
  fc.record({ kind: fc.constant("override" as const), target: fc.nat(30) }),
  fc.record({ kind: fc.constant("send" as const) }),
);

test("after any sequence of add / addRelativeTo / remove (name, reference) / removeByTag / use / override between sends, each send runs the order @smithy/middleware-stack resolves", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      const client = newClient();
      const stack = client.middlewareStack;
      // the reference: the same operations on a plain smithy stack holding stand-ins for the built-ins
      const reference = constructStack<any, any>();
      let refLog: string[] = [];
      const refMw = (name: string) => (next: any) => (args: any) => {
        refLog.push(name);
        return next(args);
      };
      reference.add(refMw("retryMiddleware") as any, { step: "finalizeRequest", priority: "high", name: "retryMiddleware" });
      reference.add(refMw("bearerAuthMiddleware") as any, { step: "finalizeRequest", priority: "normal", name: "bearerAuthMiddleware" });
      let log: string[] = [];
      const factories = new Map<string, { real: any; ref: any; step?: string; priority?: string; relative: boolean }>();
      let n = 0;
      const realMw = (name: string) => (next: any) => (args: any) => {
        log.push(name);
        return next(args);
      };
      const names = () => [...factories.keys()];
      const pick = (i: number, list: string[]) => (list.length ? list[i % list.length] : undefined);
      for (const op of ops) {
        const both = (fn: (s: any, which: "real" | "ref") => void) => {
          let realError: unknown, refError: unknown;
          try {
            fn(stack, "real");
          } catch (e) {
            realError = e;
          }
          try {
            fn(reference, "ref");
          } catch (e) {
            refError = e;
          }
          expect(String(realError ?? "")).toBe(String(refError ?? ""));
        };
        switch (op.kind) {
          case "add": {
            const name = `m${n++}`;
            const f = { real: realMw(name), ref: refMw(name), step: op.step, priority: op.priority, relative: false };
            factories.set(name, f);
            both((s, w) => s.add(f[w], { step: op.step, priority: op.priority, name, tags: op.tag ? ["T"] : undefined }));
            break;
          }
          case "rel": {
            const target = pick(op.target, [...names(), ...BUILTINS]);
            const name = `m${n++}`;
            const f = { real: realMw(name), ref: refMw(name), relative: true };
            factories.set(name, f);
            both((s, w) => s.addRelativeTo(f[w], { relation: op.relation, toMiddleware: target, name }));
            break;
          }
          case "removeName": {
            const target = pick(op.target, names());
            if (!target) break;
            factories.delete(target);
            both((s) => s.remove(target));
            break;
          }
          case "removeRef": {
            const target = pick(op.target, names());
            if (!target) break;
            const f = factories.get(target)!;
            factories.delete(target);
            both((s, w) => s.remove(f[w]));
            break;
          }
          case "removeTag":
            // names of tagged entries are dropped from `factories` lazily (a later remove of one is a no-op in both)
            both((s) => s.removeByTag("T"));
            break;
          case "use": {
            const a = `m${n++}`;
            const b = `m${n++}`;
            const fa = { real: realMw(a), ref: refMw(a), step: "build", priority: "normal", relative: false };
            const fb = { real: realMw(b), ref: refMw(b), step: "initialize", priority: "low", relative: false };
            factories.set(a, fa);
            factories.set(b, fb);
            both((s, w) =>
              s.use({
                applyToStack: (t: any) => {
                  t.add(fa[w], { step: "build", name: a });
                  t.add(fb[w], { step: "initialize", priority: "low", name: b });
                },
              }),
            );
            break;
          }
          case "override": {
            const target = pick(op.target, names().filter((k) => !factories.get(k)!.relative));
            if (!target) break;
            const old = factories.get(target)!;
            const f = { real: realMw(`${target}'`), ref: refMw(`${target}'`), step: old.step, priority: old.priority, relative: false };
            factories.set(target, f);
            both((s, w) => s.add(f[w], { step: old.step, priority: old.priority, name: target, override: true }));
            break;
          }
          case "send": {
            log = [];
            refLog = [];
            // the reference run: client stack + a command stack holding serde, as the AWS SDK resolves it
            const command = constructStack<any, any>();
            command.add(refMw("serializerMiddleware") as any, { step: "serialize", name: "serializerMiddleware" });
            command.add(refMw("deserializerMiddleware") as any, { step: "deserialize", name: "deserializerMiddleware" });
            let refFailed: unknown;
            try {
              await reference.concat(command).resolve((async () => ({ output: {}, response: {} })) as any, {} as any)({ input: {} } as any);
            } catch (e) {
              refFailed = e;
            }
            const out = await client.send(invoke(), OPTS).then(
              () => undefined,
              (e) => e,
            );
            if (refFailed) {
              expect(String(out)).toContain("is not found when adding");
            } else {
              expect(out).toBeUndefined();
              expect(log).toEqual(refLog.filter((name) => !BUILTINS.includes(name)));
            }
            break;
          }
        }
      }
      client.destroy();
    }),
    { numRuns: 60 },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// 2. Each way of changing a stack after sends happened
// ---------------------------------------------------------------------------------------------------------------

function recorder() {
  const seen: string[] = [];
  const mw = (name: string) => (next: any) => async (args: any) => {
    seen.push(name);
    return next(args);
  };
  return { seen, mw };
}

test("clone then modify the clone: the client's stack is unchanged; modify the client's: the clone is unchanged", async () => {
  const client = newClient();
  const { seen, mw } = recorder();
  client.middlewareStack.add(mw("a"), { step: "build", name: "a" });
  await client.send(invoke(), OPTS);
  const clone = client.middlewareStack.clone();
  clone.add(mw("cloneOnly"), { step: "build", name: "cloneOnly" });
  clone.remove("a");
  seen.length = 0;
  await client.send(invoke(), OPTS);
  expect(seen).toEqual(["a"]);
  client.middlewareStack.add(mw("b"), { step: "build", name: "b" });
  expect(clone.identify().join(" ")).not.toMatch(/\bb -/);
  expect(clone.identify().join(" ")).toContain("cloneOnly");
  seen.length = 0;
  await client.send(invoke(), OPTS);
  expect(seen).toEqual(["a", "b"]);
  client.destroy();
});

test("concat returns a new stack and leaves the client's as it was", async () => {
  const client = newClient();
  const { seen, mw } = recorder();
  await client.send(invoke(), OPTS);
  const other = constructStack<any, any>();
  other.add(mw("other"), { step: "build", name: "other" });
  const merged = client.middlewareStack.concat(other);
  expect(merged.identify().join(" ")).toContain("other");
  await client.send(invoke(), OPTS);
  expect(seen).toEqual([]);
  client.destroy();
});

test("remove / removeByTag / override of built-ins after sends take effect on the next send", async () => {
  const client = newClient();
  const before = server.requests.length;
  await client.send(invoke(), OPTS);
  // override bearer auth with a middleware that sets another token
  client.middlewareStack.add(
    (next: any) => (args: any) => {
      (args.request as HttpRequest).headers.authorization = `Bearer ${OTHER_TOKEN}`;
      return next(args);
    },
    { step: "finalizeRequest", priority: "normal", name: "bearerAuthMiddleware", override: true },
  );
  await client.send(invoke(), OPTS);
  client.middlewareStack.remove("bearerAuthMiddleware");
  await client.send(invoke(), OPTS);
  const { mw } = recorder();
  client.middlewareStack.add(
    (next: any) => (args: any) => {
      (args.request as HttpRequest).headers["x-tagged"] = "1";
      return next(args);
    },
    { step: "build", name: "tagged", tags: ["MINE"] },
  );
  client.middlewareStack.add(mw("x"), { step: "build", name: "x" });
  await client.send(invoke(), OPTS);
  expect(client.middlewareStack.removeByTag("MINE")).toBe(true);
  await client.send(invoke(), OPTS);
  const auth = server.requests.slice(before).map((r) => r.headers.authorization);
  expect(auth).toEqual([`Bearer ${TOKEN}`, `Bearer ${OTHER_TOKEN}`, undefined, undefined, undefined]);
  expect(server.requests.slice(before).map((r) => r.headers["x-tagged"])).toEqual([undefined, undefined, undefined, "1", undefined]);
  client.destroy();
});

test("identifyOnResolve toggled after cached sends: logs on the next send, stops when switched off", async () => {
  const client = newClient();
  await client.send(invoke(), OPTS);
  const spy = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    client.middlewareStack.identifyOnResolve(true);
    await client.send(invoke(), OPTS);
    expect(spy).toHaveBeenCalledTimes(1);
    client.middlewareStack.identifyOnResolve(false);
    await client.send(invoke(), OPTS);
    expect(spy).toHaveBeenCalledTimes(1);
  } finally {
    spy.mockRestore();
    client.destroy();
  }
});

test("command.middlewareStack changed after the command was sent (fast path first), then sent again; the same command through two clients", async () => {
  const a = newClient();
  const b = newClient();
  const { seen, mw } = recorder();
  a.middlewareStack.add(mw("clientA"), { step: "initialize", name: "cA" });
  b.middlewareStack.add(mw("clientB"), { step: "initialize", name: "cB" });
  const command = invoke();
  await a.send(command, OPTS);
  command.middlewareStack.add(mw("cmd"), { step: "build", name: "cmd" });
  await a.send(command, OPTS);
  await b.send(command, OPTS);
  command.middlewareStack.remove("cmd");
  await a.send(command, OPTS);
  await Promise.all([a.send(command, OPTS), b.send(command, OPTS)]);
  expect(seen.slice(0, 6)).toEqual(["clientA", "clientA", "cmd", "clientB", "cmd", "clientA"]);
  expect(seen.slice(6).sort()).toEqual(["clientA", "clientB"]);
  // the command's stack was not polluted by either client's middleware or serde
  expect(command.middlewareStack.identify()).toEqual([]);
  a.destroy();
  b.destroy();
});

test("a middleware that removes itself (run-once) and adds another while running: the current call keeps its stack, the next one gets the new one", async () => {
  const client = newClient();
  const { seen, mw } = recorder();
  await client.send(invoke(), OPTS);
  const once = (next: any) => async (args: any) => {
    seen.push("once");
    client.middlewareStack.remove(once);
    client.middlewareStack.add(mw("added"), { step: "build", name: "added" });
    return next(args);
  };
  client.middlewareStack.add(once, { step: "initialize", name: "once" });
  await client.send(invoke(), OPTS);
  await client.send(invoke(), OPTS);
  expect(seen).toEqual(["once", "added"]);
  client.destroy();
});

// ---------------------------------------------------------------------------------------------------------------
// 3. Concurrency and per-call context
// ---------------------------------------------------------------------------------------------------------------

test("many sends in flight while the stack changes: each call runs the stack as it was when it was sent", async () => {
  const client = newClient({ maxSockets: 200 });
  const ran = new Map<string, string[]>();
  const mw = (name: string) => (next: any) => async (args: any) => {
    const key = args.input.sessionId as string;
    ran.set(key, [...(ran.get(key) ?? []), name]);
    // yield between middleware so calls interleave
    await new Promise((r) => setImmediate(r));
    return next(args);
  };
  client.middlewareStack.add(mw("early"), { step: "initialize", name: "early" });
  client.middlewareStack.add(mw("fin"), { step: "finalizeRequest", priority: "low", name: "fin" });
  const calls: Promise<unknown>[] = [];
  const expected = new Map<string, string[]>();
  let i = 1000;
  held = new Set();
  const batch = (names: string[]) => {
    for (let k = 0; k < 15; k++, i++) {
      held.add(sid(i));
      expected.set(sid(i), names);
      calls.push(client.send(invoke(i), OPTS));
    }
  };
  batch(["early", "fin"]);
  client.middlewareStack.add(mw("late"), { step: "build", name: "late" });
  batch(["early", "late", "fin"]);
  client.middlewareStack.remove("early");
  batch(["late", "fin"]);
  client.middlewareStack.use({ applyToStack: (s) => s.addRelativeTo(mw("rel") as any, { relation: "before", toMiddleware: "fin", name: "rel" }) });
  batch(["late", "rel", "fin"]);
  const waitAll = async () => {
    while (waiting.length < 60) await new Promise((r) => setTimeout(r, 10));
  };
  await waitAll();
  release();
  held = new Set();
  await Promise.all(calls);
  expect(Object.fromEntries(ran)).toEqual(Object.fromEntries(expected));
  client.destroy();
});

test("state a middleware stores on context stays with its call", async () => {
  const client = newClient();
  const leaks: string[] = [];
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      if ("s8mark" in context) leaks.push(`fresh context already marked ${context.s8mark}`);
      context.s8mark = args.input.sessionId;
      await new Promise((r) => setTimeout(r, Math.random() * 10));
      return next(args);
    },
    { step: "initialize", name: "mark" },
  );
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      await new Promise((r) => setTimeout(r, Math.random() * 10));
      if (context.s8mark !== args.input.sessionId) leaks.push(`${context.s8mark} != ${args.input.sessionId}`);
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "check" },
  );
  const command = invoke(7);
  await Promise.all([...Array.from({ length: 30 }, (_, k) => client.send(invoke(2000 + k), OPTS)), client.send(command, OPTS), client.send(command, OPTS)]);
  expect(leaks).toEqual([]);
  client.destroy();
});

// ---------------------------------------------------------------------------------------------------------------
// 4. Misbehaving middleware
// ---------------------------------------------------------------------------------------------------------------

test("a middleware that throws synchronously: the call rejects with that error (no synchronous throw), nothing retried", async () => {
  for (const [step, priority] of [
    ["initialize", "normal"],
    ["build", "normal"],
    ["finalizeRequest", "low"],
    ["deserialize", "normal"],
  ]) {
    const client = newClient();
    const boom = new Error(`boom-${step}`);
    let calls = 0;
    client.middlewareStack.add(
      () => () => {
        calls++;
        throw boom;
      },
      { step: step as any, priority: priority as any, name: "boom" },
    );
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = client.send(invoke(), OPTS);
    }).not.toThrow();
    await expect(promise).rejects.toBe(boom);
    expect(calls).toBe(1);
    // the client still works afterwards
    client.middlewareStack.remove("boom");
    await expect(client.send(invoke(), OPTS)).resolves.toMatchObject({ json: { ok: true } });
    client.destroy();
  }
});

test("a middleware that returns a non-promise, or never calls next: its result is the call's", async () => {
  const client = newClient();
  const before = server.requests.length;
  client.middlewareStack.add(() => () => ({ output: { short: "circuit", $metadata: {} } }) as any, { step: "finalizeRequest", priority: "low", name: "sync" });
  const out = (await client.send(invoke(), OPTS)) as unknown as { short: string; $metadata: { attempts: number } };
  expect(out.short).toBe("circuit");
  expect(out.$metadata.attempts).toBe(1);
  expect(server.requests.length).toBe(before);
  client.destroy();
});

test("(was a defect) a middleware that never calls next and returns a result without output resolves like the AWS SDK (output undefined), not with a TypeError from send()", async () => {
  // @smithy/core Client.send: handler(command).then((result) => result.output)
  const client = newClient();
  client.middlewareStack.add(() => async () => ({ response: {} }) as any, { step: "initialize", name: "noOutput" });
  await expect(client.send(invoke(), OPTS)).resolves.toBeUndefined();
  client.destroy();
});

test("a middleware that calls next twice (retry-like): both attempts are sent, the second result is returned", async () => {
  const client = newClient();
  const before = server.requests.length;
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      const first = await next(args);
      expect(first.output.json).toEqual({ ok: true });
      return next(args);
    },
    { step: "initialize", name: "twiceInit" },
  );
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      await next(args);
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "twiceFin" },
  );
  const out = await client.send(invoke(), OPTS);
  expect(out.json).toEqual({ ok: true });
  expect(server.requests.length - before).toBe(4);
  client.destroy();
});

// ---------------------------------------------------------------------------------------------------------------
// 5. What middleware sees
// ---------------------------------------------------------------------------------------------------------------

test("finalizeRequest (low) sees the request as sent: same method, path, body and headers as the server received", async () => {
  const client = newClient();
  let seen: HttpRequest | undefined;
  client.middlewareStack.add(
    (next: any) => (args: any) => {
      seen = args.request;
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "spy" },
  );
  const before = server.requests.length;
  await client.send(invoke(3, { headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-A": "b" } }), OPTS);
  const wire = server.requests[before];
  const lower = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const fromMiddleware = lower(seen!.headers);
  const onWire = lower(wire.headers as Record<string, unknown>);
  delete onWire.connection; // added by Node's http agent, as with the AWS SDK
  delete onWire.host; // (compared separately below)
  expect(fromMiddleware).toEqual(onWire);
  expect(seen!.method).toBe(wire.method);
  expect(Buffer.from(seen!.body as Uint8Array).toString()).toBe(wire.body.toString());
  const q = new URLSearchParams(seen!.query as Record<string, string>).toString();
  expect(`${seen!.path}${q ? `?${q}` : ""}`).toBe(wire.url);
  client.destroy();
});

test("deserialize step middleware sees the raw response (status, headers) and the parsed output", async () => {
  const client = newClient();
  let result: any;
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      result = await next(args);
      return result;
    },
    { step: "deserialize", name: "seeDeserialized" },
  );
  const out = await client.send(invoke(), OPTS);
  expect(result.response.statusCode).toBe(200);
  expect(result.response.headers["x-amzn-requestid"]).toBe("rid-s8");
  expect(result.output).toBe(out);
  expect(out.json).toEqual({ ok: true });
  expect(out.$metadata.requestId).toBe("rid-s8");
  client.destroy();
});

test("(was a defect) an initialize middleware that replaces args.input with a copy (AWS SDK pattern) keeps the command's per-call bearerToken", async () => {
  const client = newClient();
  client.middlewareStack.add(
    (next: any) => (args: any) => next({ ...args, input: { ...args.input, payload: { added: true } } }),
    { step: "initialize", name: "rewriteInput" },
  );
  const before = server.requests.length;
  await client.send(invoke(9, { bearerToken: OTHER_TOKEN }), OPTS);
  const wire = server.requests[before];
  expect(JSON.parse(wire.body.toString())).toEqual({ added: true });
  // the call's own credential, not the client's default identity
  expect(wire.headers.authorization).toBe(`Bearer ${OTHER_TOKEN}`);
  client.destroy();
});

test("(was a defect) an initialize middleware replacing args.input on a client without a default token still sends the per-call token", async () => {
  const client = new RuntimeClient({ endpoint: server.url, requestTimeout: 5000 });
  client.middlewareStack.add((next: any) => (args: any) => next({ ...args, input: { ...args.input } }), { step: "initialize", name: "copyInput" });
  const before = server.requests.length;
  await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION, bearerToken: OTHER_TOKEN }), OPTS);
  expect(server.requests[before].headers.authorization).toBe(`Bearer ${OTHER_TOKEN}`);
  client.destroy();
});

test("(was a defect) a subclass overriding resolveMiddleware (the AWS SDK v3 Command hook, documented as what send() runs) is used by send()", async () => {
  // @smithy/core Client.send: handler = command.resolveMiddleware(this.middlewareStack, this.config, options)
  const client = newClient();
  let ran = 0;
  class Counted extends InvokeCommand {
    override resolveMiddleware(stack: any, context: any) {
      ran++;
      return super.resolveMiddleware(stack, context);
    }
  }
  await client.send(new Counted({ runtimeArn: ARN, sessionId: SESSION, payload: {} }), OPTS);
  expect(ran).toBe(1);
  client.destroy();
});

test("(was a defect) a middleware that never settles: the call's deadline and destroy() still end the call (README: deadline bounds the whole call)", async () => {
  const results: string[] = [];
  for (const how of ["deadline", "destroy"]) {
    const client = newClient();
    client.middlewareStack.add(() => () => new Promise(() => undefined), { step: "initialize", name: "hang" });
    const p = client.send(invoke(), how === "deadline" ? { deadline: 100 } : {});
    const timer = how === "destroy" ? setTimeout(() => client.destroy(), 100) : undefined;
    const r = await Promise.race([
      p.then(
        () => "resolved",
        (e) => `rejected ${e?.name}`,
      ),
      new Promise((res) => setTimeout(() => res("still pending after 1 s"), 1000)),
    ]);
    clearTimeout(timer);
    results.push(`${how}: ${r}`);
    client.destroy();
  }
  expect(results).toEqual(["deadline: rejected DeadlineExceededError", "destroy: rejected AbortError"]);
});
