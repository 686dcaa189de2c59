import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESSION, errorName, sessionId, sseData, start } from "./helpers";
import type { AgentContext } from "../src";

describe("a user agent", () => {
  it("answers a plain value as JSON and gets the parsed payload and context", async () => {
    const seen: Array<{ payload: unknown; ctx: AgentContext }> = [];
    const h = await start({
      agent: async (payload, ctx) => {
        seen.push({ payload, ctx });
        return { ok: true, echo: payload };
      },
    });
    try {
      const sid = sessionId();
      const res = await h.post("invocations", {
        body: { a: 1 },
        headers: { [SESSION]: sid, "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Thing": "v" },
      });
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({ ok: true, echo: { a: 1 } });
      expect(seen[0].payload).toEqual({ a: 1 });
      expect(seen[0].ctx.sessionId).toBe(sid);
      expect(seen[0].ctx.headers["x-amzn-bedrock-agentcore-runtime-custom-thing"]).toBe("v");
      expect(seen[0].ctx.headers.authorization).toBeUndefined();
      expect(Buffer.from(seen[0].ctx.body).toString()).toBe('{"a":1}');
    } finally {
      await h.emu.close();
    }
  });

  it("streams an async iterable as SSE, one JSON value per event", async () => {
    const h = await start({
      agent: async function* () {
        yield "Hel";
        yield "lo";
        yield { done: true };
      },
    });
    try {
      const res = await h.post("invocations", { body: {} });
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(sseData(await res.text())).toEqual(['"Hel"', '"lo"', '{"done":true}']);
    } finally {
      await h.emu.close();
    }
  });

  it("turns an error thrown mid-stream into the error event, after the earlier events", async () => {
    class ToolError extends Error {}
    const h = await start({
      agent: async function* () {
        yield "partial";
        throw new ToolError("tool broke");
      },
    });
    try {
      const data = sseData(await (await h.post("invocations", { body: {} })).text());
      expect(data[0]).toBe('"partial"');
      expect(JSON.parse(data[1])).toEqual({ error: "tool broke", error_type: "ToolError", message: "An error occurred during streaming" });
    } finally {
      await h.emu.close();
    }
  });

  it("answers a thrown error as 424 RuntimeClientError", async () => {
    const h = await start({
      agent: () => {
        throw new Error("boom");
      },
    });
    try {
      const res = await h.post("invocations", { body: {} });
      expect(res.status).toBe(424);
      expect(errorName(res)).toBe("RuntimeClientError");
    } finally {
      await h.emu.close();
    }
  });

  it("streams a returned Response through with its content type and MCP session header", async () => {
    const h = await start({
      agent: () =>
        new Response('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n', {
          headers: { "content-type": "text/event-stream", "mcp-session-id": "server-chosen" },
        }),
    });
    try {
      const res = await h.post("invocations", { body: {} });
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(res.headers.get("mcp-session-id")).toBe("server-chosen");
      expect(await res.text()).toBe('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
      const failing = await start({ agent: () => new Response("nope", { status: 503 }) });
      try {
        expect((await failing.post("invocations", { body: {} })).status).toBe(424);
      } finally {
        await failing.emu.close();
      }
    } finally {
      await h.emu.close();
    }
  });

  it("aborts the agent's signal when the client goes away", async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    const h = await start({
      agent: async function* (_payload, ctx: AgentContext) {
        ctx.signal.addEventListener("abort", () => aborted());
        yield "first";
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    try {
      const controller = new AbortController();
      const res = await h.post("invocations", { body: {}, signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await sawAbort;
    } finally {
      await h.emu.close();
    }
  });

  it("loads the handler from a module file (default export or handler)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-agent-"));
    try {
      writeFileSync(join(dir, "named.cjs"), "exports.handler = async (p) => ({ from: 'named', p });\n");
      writeFileSync(join(dir, "default.cjs"), "module.exports = async function* () { yield 'from-default'; };\n");
      const named = await start({ agent: join(dir, "named.cjs") });
      try {
        expect(await (await named.post("invocations", { body: { q: 1 } })).json()).toEqual({ from: "named", p: { q: 1 } });
      } finally {
        await named.emu.close();
      }
      const def = await start({ agent: join(dir, "default.cjs") });
      try {
        expect(sseData(await (await def.post("invocations", { body: {} })).text())).toEqual(['"from-default"']);
      } finally {
        await def.emu.close();
      }
      writeFileSync(join(dir, "none.cjs"), "exports.x = 1;\n");
      await expect(start({ agent: join(dir, "none.cjs") })).rejects.toThrow(/no handler/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
