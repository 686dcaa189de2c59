import { SESSION, readToEnd, sessionId, start, waitDead, type Harness } from "./helpers";

describe("stopping a session ends its running work", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ exec: true });
  });
  afterAll(() => h.emu.close());

  const stop = (sid: string) => h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sid } });

  it("cuts a running SSE stream after the events already sent", async () => {
    const sid = sessionId();
    const res = await h.post("invocations", {
      body: { prompt: "tick", repeat: 1000, delayMs: 20 },
      headers: { [SESSION]: sid, Accept: "text/event-stream" },
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"You "');
    expect((await stop(sid)).status).toBe(200);
    await expect(readToEnd(reader)).rejects.toThrow();
  });

  it("kills a running command (and its children) and cuts its event stream", async () => {
    const sid = sessionId();
    const res = await h.post("commands", {
      body: { command: "sleep 30 & echo pids $$ $! end; wait", timeout: 60 },
      headers: { [SESSION]: sid },
    });
    const reader = res.body!.getReader();
    let seen = "";
    while (!/pids \d+ \d+ end/.test(seen)) seen += Buffer.from((await reader.read()).value!).toString("latin1");
    const [, shell, sleeper] = /pids (\d+) (\d+) end/.exec(seen)!.map(Number);
    const started = Date.now();
    expect((await stop(sid)).status).toBe(200);
    await expect(readToEnd(reader)).rejects.toThrow();
    // far below the 30 s the command would otherwise run
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitDead(shell)).toBe(true);
    expect(await waitDead(sleeper)).toBe(true);
  });

  it("leaves other sessions' streams running", async () => {
    const keep = sessionId("keep");
    const gone = sessionId("gone");
    const body = { prompt: "a b c", delayMs: 10 };
    const kept = h.post("invocations", { body, headers: { [SESSION]: keep, Accept: "text/event-stream" } });
    await (await h.post("invocations", { body: {}, headers: { [SESSION]: gone } })).arrayBuffer();
    expect((await stop(gone)).status).toBe(200);
    expect(await (await kept).text()).toContain('"c"');
  });
});
