import http from "node:http";
import type { AddressInfo } from "node:net";
import { SESSION, errorName, sessionId, start } from "./helpers";

/** A tiny agent container: POST /invocations answers SSE and reports what it received. */
async function container(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("upstream mode", () => {
  it("forwards the payload, session and custom headers, and streams the answer through as-is", async () => {
    const received: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const upstream = await container((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { "Content-Type": "text/event-stream", "Mcp-Session-Id": "from-container" });
        res.write("data: one\n\n");
        setTimeout(() => res.end(": comment\r\ndata: two\r\n\r\n"), 20);
      });
    });
    const h = await start({ upstream: upstream.url });
    try {
      const sid = sessionId();
      const res = await h.post("invocations", {
        body: { prompt: "to the container" },
        headers: {
          [SESSION]: sid,
          Accept: "text/event-stream",
          "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant": "acme",
          "X-Amzn-Bedrock-AgentCore-Runtime-User-Id": "user-1",
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(res.headers.get("mcp-session-id")).toBe("from-container");
      expect(res.headers.get(SESSION)).toBe(sid);
      expect(await res.text()).toBe("data: one\n\n: comment\r\ndata: two\r\n\r\n");
      const [got] = received;
      expect(got.method).toBe("POST");
      expect(got.url).toBe("/invocations");
      expect(got.body).toBe('{"prompt":"to the container"}');
      expect(got.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toBe(sid);
      expect(got.headers["x-amzn-bedrock-agentcore-runtime-custom-tenant"]).toBe("acme");
      expect(got.headers["x-amzn-bedrock-agentcore-runtime-user-id"]).toBe("user-1");
      expect(got.headers.authorization).toBeUndefined();
    } finally {
      await h.emu.close();
      await upstream.close();
    }
  });

  it("answers a container error with 424 RuntimeClientError", async () => {
    const upstream = await container((req, res) => {
      req.resume();
      res.writeHead(500, { "Content-Type": "application/json" }).end('{"error":"bad"}');
    });
    const h = await start({ upstream: upstream.url });
    try {
      const res = await h.post("invocations", { body: {} });
      expect(res.status).toBe(424);
      expect(errorName(res)).toBe("RuntimeClientError");
      expect((await res.json()).message).toContain("(500)");
    } finally {
      await h.emu.close();
      await upstream.close();
    }
  });

  it("answers an unreachable container with 424", async () => {
    const gone = await container(() => undefined);
    const url = gone.url;
    await gone.close();
    const h = await start({ upstream: url });
    try {
      const res = await h.post("invocations", { body: {} });
      expect(res.status).toBe(424);
    } finally {
      await h.emu.close();
    }
  });

  it("close() ends a proxied stream that is still open", async () => {
    const upstream = await container((req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("data: start\n\n");
    });
    const h = await start({ upstream: upstream.url });
    try {
      const res = await h.post("invocations", { body: {} });
      const reader = res.body!.getReader();
      await reader.read();
      await h.emu.close();
      await expect(reader.read()).rejects.toThrow();
    } finally {
      await h.emu.close();
      await upstream.close();
    }
  });
});
