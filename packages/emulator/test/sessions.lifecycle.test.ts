import { SESSION, errorName, runCommand, sessionId, start, until } from "./helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("session lifecycle", () => {
  it("creates a session on first use and stops it with 200 and the session header", async () => {
    const h = await start();
    try {
      const sid = sessionId();
      await (await h.post("invocations", { body: {}, headers: { [SESSION]: sid } })).arrayBuffer();
      expect(h.emu.sessionIds()).toContain(sid);
      const stop = await h.post("stopruntimesession", { body: { clientToken: "c".repeat(36) }, headers: { [SESSION]: sid } });
      expect(stop.status).toBe(200);
      expect(stop.headers.get(SESSION)).toBe(sid);
      expect(await stop.text()).toBe("");
      expect(h.emu.sessionIds()).not.toContain(sid);
    } finally {
      await h.emu.close();
    }
  });

  it("answers a repeated stop clientToken as the first stop (a retry whose response was lost got 404)", async () => {
    const h = await start();
    try {
      const [sid, other] = [sessionId(), sessionId("other")];
      const clientToken = "retry-token-0123456789-0123456789-01";
      for (const id of [sid, other]) await (await h.post("invocations", { body: {}, headers: { [SESSION]: id } })).arrayBuffer();
      const first = await h.post("stopruntimesession", { body: { clientToken }, headers: { [SESSION]: sid } });
      expect(first.status).toBe(200);
      const retry = await h.post("stopruntimesession", { body: { clientToken }, headers: { [SESSION]: sid } });
      expect(retry.status).toBe(200);
      expect(retry.headers.get(SESSION)).toBe(sid);
      // a new token for the stopped session is a new request: the session is gone
      const fresh = await h.post("stopruntimesession", { body: { clientToken: `${clientToken}x` }, headers: { [SESSION]: sid } });
      expect(fresh.status).toBe(404);
      // the same token for another session: 400, and that session lives on
      const mismatch = await h.post("stopruntimesession", { body: { clientToken }, headers: { [SESSION]: other } });
      expect(mismatch.status).toBe(400);
      expect(errorName(mismatch)).toBe("ValidationException");
      expect((await mismatch.json()).reason).toBe("IdempotentParameterMismatchException");
      expect(h.emu.sessionIds()).toContain(other);
    } finally {
      await h.emu.close();
    }
  });

  it("answers stop of an unknown session with 404 ResourceNotFoundException", async () => {
    const h = await start();
    try {
      const res = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sessionId("unknown") } });
      expect(res.status).toBe(404);
      expect(errorName(res)).toBe("ResourceNotFoundException");
    } finally {
      await h.emu.close();
    }
  });

  it("ends a session after the idle timeout; the next use gets a fresh one", async () => {
    const h = await start({ exec: true, sessionIdleTimeoutSeconds: 2 });
    try {
      const sid = sessionId();
      const first = (await runCommand(h, { command: "touch f; pwd" }, { [SESSION]: sid })).stdout;
      await sleep(300);
      // Use within the idle window keeps it alive.
      expect((await runCommand(h, { command: "ls" }, { [SESSION]: sid })).stdout).toBe("f\n");
      const lastUse = Date.now();
      // then it ends on its own, once idle for the timeout (not before: timers never fire early)
      await until(() => !h.emu.sessionIds().includes(sid), 15_000);
      expect(Date.now() - lastUse).toBeGreaterThan(1000);
      const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sid } });
      expect(stop.status).toBe(404);
      const fresh = await runCommand(h, { command: "ls; pwd" }, { [SESSION]: sid });
      // compare whole lines: the random working-directory name that pwd prints may itself end in "f"
      expect(fresh.stdout.split("\n")).not.toContain("f");
      expect(fresh.stdout).not.toBe(first);
    } finally {
      await h.emu.close();
    }
  });

  it("does not idle out a session while a request is running", async () => {
    const h = await start({ sessionIdleTimeoutSeconds: 1 });
    try {
      const sid = sessionId();
      const running = runCommand(h, { command: "sleep 4; echo done", timeout: 10 }, { [SESSION]: sid });
      // liveness is checked while the command runs: 2.5 s after the session appeared, well past the 1 s idle limit
      await until(() => h.emu.sessionIds().includes(sid), 10_000);
      await sleep(2500);
      expect(h.emu.sessionIds()).toContain(sid);
      const out = await running;
      expect(out.stdout).toBe("done\n");
    } finally {
      await h.emu.close();
    }
  });

  it("ends a session at its max lifetime even while in use", async () => {
    const h = await start({ sessionMaxLifetimeSeconds: 0.3 });
    try {
      const sid = sessionId();
      const res = await h.post("invocations", {
        body: { prompt: "x", repeat: 100, delayMs: 20 },
        headers: { [SESSION]: sid, Accept: "text/event-stream" },
      });
      await expect(res.text()).rejects.toThrow();
      expect(h.emu.sessionIds()).not.toContain(sid);
    } finally {
      await h.emu.close();
    }
  });
});
