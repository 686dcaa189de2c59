import http from "node:http";
import { SESSION, errorName, runCommand, sessionId, start } from "./helpers";

describe("caps", () => {
  it("maxSessions: a request that would open one more session gets 402 ServiceQuotaExceededException", async () => {
    const h = await start({ maxSessions: 2 });
    try {
      const [a, b, c] = [sessionId("a"), sessionId("b"), sessionId("c")];
      for (const sid of [a, b]) expect((await h.post("invocations", { body: {}, headers: { [SESSION]: sid } })).status).toBe(200);
      for (const op of ["invocations", "commands"]) {
        const refused = await h.post(op, { body: { command: "echo x" }, headers: { [SESSION]: c } });
        expect(refused.status).toBe(402);
        expect(errorName(refused)).toBe("ServiceQuotaExceededException");
        expect((await refused.json()).message).toContain("at most 2 live sessions");
      }
      // one without a session id would be new too
      expect((await h.post("invocations", { body: {} })).status).toBe(402);
      // live sessions keep working
      expect((await runCommand(h, { command: "echo still" }, { [SESSION]: a })).stdout).toBe("still\n");
      expect(h.emu.sessionIds().sort()).toEqual([a, b].sort());
      // stopping one makes room
      expect((await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: b } })).status).toBe(200);
      expect((await h.post("invocations", { body: {}, headers: { [SESSION]: c } })).status).toBe(200);
    } finally {
      await h.emu.close();
    }
  });

  it("maxConcurrentBodies: past the cap a request gets 429 ThrottlingException with Retry-After, and the slot comes back", async () => {
    const h = await start({ maxConcurrentBodies: 1 });
    try {
      // An upload that has started but not finished holds the only slot.
      const { port } = new URL(h.emu.url);
      const path = new URL(h.opUrl("invocations")).pathname;
      const upload = http.request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path,
        headers: { Authorization: `Bearer ${h.token}`, "Content-Length": "100000", "Content-Type": "application/json" },
      });
      const uploaded = new Promise<number>((resolve, reject) => {
        upload.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        upload.on("error", reject);
      });
      upload.write('{"prompt": "');
      // poll until the emulator has seen it (the request is recorded when it arrives)
      const started = Date.now();
      while (!h.emu.requests.some((r) => r.op === "invocations")) {
        if (Date.now() - started > 10_000) throw new Error("upload not seen");
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const op of ["invocations", "commands"]) {
        const refused = await h.post(op, { body: { command: "echo x" }, headers: { [SESSION]: sessionId() } });
        expect(refused.status).toBe(429);
        expect(errorName(refused)).toBe("ThrottlingException");
        expect(refused.headers.get("retry-after")).toBe("1");
        expect((await refused.json()).message).toContain("maxConcurrentBodies");
      }
      // stopping a session has slots of its own: uploads cannot keep a session from being stopped
      const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sessionId() } });
      expect([stop.status, errorName(stop)]).toEqual([404, "ResourceNotFoundException"]);
      upload.end(`${"x".repeat(100000 - 14)}"}`);
      expect(await uploaded).toBe(200);
      // the slot is free again; commands give theirs back once parsed, so two in a row work too
      expect((await h.post("invocations", { body: {} })).status).toBe(200);
      expect((await runCommand(h, { command: "echo a" })).stdout).toBe("a\n");
      expect((await runCommand(h, { command: "echo b" })).stdout).toBe("b\n");
    } finally {
      await h.emu.close();
    }
  });

  it("maxConcurrentBodies: a running command holds nothing, a running invocation holds its payload's bytes only", async () => {
    // one slot, and so a budget of one largest payload (2,000 bytes) for the payloads running invocations keep
    const h = await start({ maxConcurrentBodies: 1, maxPayloadBytes: 2000 });
    try {
      const sid = sessionId();
      const command = h.post("commands", { body: { command: "sleep 30", timeout: 60 }, headers: { [SESSION]: sid } });
      const res = await command;
      expect(res.status).toBe(200);
      // the command is still running, its body long parsed
      expect((await h.post("invocations", { body: {} })).status).toBe(200);
      const controller = new AbortController();
      const stream = await h.post("invocations", {
        body: { prompt: "a b c d", delayMs: 60_000, pad: "p".repeat(1400) },
        headers: { Accept: "text/event-stream" },
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
      // small payloads fit beside it, however many streams run
      expect((await h.post("invocations", { body: {} })).status).toBe(200);
      // one that would take the held payloads past the budget does not
      const refused = await h.post("invocations", { body: { pad: "q".repeat(1400) } });
      expect([refused.status, errorName(refused)]).toEqual([429, "ThrottlingException"]);
      expect((await refused.json()).message).toContain("held by running invocations");
      controller.abort();
      await res.body?.cancel();
    } finally {
      await h.emu.close();
    }
  });

});
