import http from "node:http";
import { InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";
import { activeResources, commandFor, fastRetries, rejectionOf, succeed } from "./helpers/resilience";

let server: TestServer;
let liveResponses = 0;
beforeAll(async () => {
  server = await startServer((req, res: http.ServerResponse) => {
    // a Date header arms node's ~1 s date-cache timer, which would blur the before/after timer count
    res.sendDate = false;
    liveResponses++;
    let timer: ReturnType<typeof setInterval> | undefined;
    res.on("close", () => {
      liveResponses--;
      clearInterval(timer);
    });
    switch (req.headers["x-test-mode"]) {
      case "never-answer":
        return;
      case "endless":
        res.writeHead(200, { "content-type": "text/event-stream" });
        timer = setInterval(() => res.write('data: "tick"\n\n'), 5);
        return;
      case "stall":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return void res.write('data: "first"\n\n');
      case "busy":
        res.writeHead(503, { "content-type": "text/html" });
        return void res.end("<html>busy</html>");
      case "busy-for-long":
        res.writeHead(503, { "retry-after": "30" });
        return void res.end();
      default:
        return succeed("invoke", res);
    }
  });
});
afterAll(() => server.close());

const mode = (m: string) => ({ headers: { "X-Test-Mode": m } });
const stream = (m: string) => new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode(m) });

/** What is left over compared with `before`: names that appear more often now. */
function extra(before: string[]): string[] {
  const left = [...before];
  return activeResources().filter((name) => {
    const i = left.indexOf(name);
    if (i >= 0) left.splice(i, 1);
    return i < 0;
  });
}

/** Runs a scenario on a fresh client, destroys it, and expects no timer, socket or other handle left behind. */
async function expectNoLeak(scenario: (client: RuntimeClient) => Promise<void>, config: Partial<ConstructorParameters<typeof RuntimeClient>[0]> = {}) {
  // jest clears a timer of its own just after a test starts: let it go before counting
  await new Promise((r) => setTimeout(r, 20));
  const before = activeResources();
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries(), ...config });
  await scenario(client);
  client.destroy();
  // sockets close asynchronously once destroyed; give the loop up to 5 s, then insist
  // (the scenarios' own timers are 60 s, so a leaked one cannot expire within this window)
  const started = Date.now();
  while ((extra(before).length > 0 || liveResponses > 0) && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
  expect(extra(before)).toEqual([]);
  expect(liveResponses).toBe(0);
}

describe("no timer, socket or handle is left behind", () => {
  test("constructing a client creates nothing", async () => {
    const before = activeResources();
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, requestTimeout: 1000, idleTimeout: 1000, deadline: 1000, connectionTimeout: 1000 });
    expect(extra(before)).toEqual([]);
    client.destroy();
  });

  test("after success, with every timer configured", async () => {
    await expectNoLeak(
      async (c) => {
        await c.send(commandFor("invoke"));
        await c.send(commandFor("commands")).catch(() => undefined);
        await c.send(commandFor("stop"));
      },
      { requestTimeout: 60_000, idleTimeout: 60_000, deadline: 60_000, connectionTimeout: 60_000 },
    );
  });

  test("after an error response and exhausted retries", async () => {
    await expectNoLeak(
      async (c) => {
        expect((await rejectionOf(c.send(commandFor("stop", mode("busy"))))).$metadata.attempts).toBe(3);
      },
      { requestTimeout: 60_000, deadline: 60_000 },
    );
  });

  test("after an abort while waiting for headers", async () => {
    await expectNoLeak(async (c) => {
      const controller = new AbortController();
      const pending = c.send(commandFor("invoke", mode("never-answer")), { abortSignal: controller.signal, requestTimeout: 60_000, deadline: 60_000 });
      setTimeout(() => controller.abort(), 30);
      expect((await rejectionOf(pending)).name).toBe("AbortError");
    });
  });

  test("after an abort mid-stream", async () => {
    await expectNoLeak(async (c) => {
      const controller = new AbortController();
      const out = await c.send(stream("endless"), { abortSignal: controller.signal, deadline: 60_000 });
      const error = await rejectionOf(
        (async () => {
          let n = 0;
          for await (const _ of out.stream) if (++n === 3) controller.abort();
        })(),
      );
      expect(error.name).toBe("AbortError");
    }, { idleTimeout: 60_000 });
  });

  test("after break out of for-await", async () => {
    await expectNoLeak(async (c) => {
      const out = await c.send(stream("endless"), { deadline: 60_000 });
      for await (const _ of out.stream) break;
    }, { idleTimeout: 60_000 });
  });

  test("after requestTimeout, idleTimeout and deadline fire", async () => {
    await expectNoLeak(async (c) => {
      expect((await rejectionOf(c.send(commandFor("invoke", mode("never-answer")), { requestTimeout: 30 }))).name).toBe("RequestTimeoutError");
      expect((await rejectionOf(c.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...mode("stall") }), { idleTimeout: 30, requestTimeout: 60_000 }))).name).toBe("IdleTimeoutError");
      expect((await rejectionOf(c.send(commandFor("stop", mode("never-answer")), { deadline: 30 }))).name).toBe("DeadlineExceededError");
    });
  });

  test("after an abort during a real backoff timer", async () => {
    await expectNoLeak(
      async (c) => {
        const controller = new AbortController();
        const pending = c.send(commandFor("stop", mode("busy-for-long")), { abortSignal: controller.signal });
        setTimeout(() => controller.abort(), 50);
        const error = await rejectionOf(pending);
        expect(error.name).toBe("AbortError");
        expect(error.$metadata.attempts).toBe(1);
      },
      // the standard strategy's real 30 s timer, aborted
      { retryStrategy: undefined },
    );
  });
});
