import { MAX_TIMER_MS, longTimeout } from "../src/timers";
import { sleep } from "../src/util";
import { FAULT, SESSION, runCommand, sessionId, start, type Harness } from "./helpers";

/**
 * Node's setTimeout fires after 1 ms for any delay of 2^31 ms or more. Each test below gives such a delay and
 * checks that nothing happened a full second later: on the old code each answered within milliseconds.
 */
const HUGE = 2 ** 31;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PENDING = Symbol("pending");
/** What `promise` settled to within `ms`, or PENDING. */
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, pause(ms).then(() => PENDING)]);

describe("timers with delays of 2^31 ms and more", () => {
  it("longTimeout and sleep do not fire early, for 2^31 ms, far more, or Infinity", async () => {
    const fired: number[] = [];
    const timers = [HUGE, MAX_TIMER_MS + 1, 1e15, Number.POSITIVE_INFINITY].map((ms) => longTimeout(() => fired.push(ms), ms));
    const controller = new AbortController();
    const slept = sleep(HUGE, controller.signal);
    try {
      expect(await within(slept, 1000)).toBe(PENDING);
      expect(fired).toEqual([]);
    } finally {
      for (const t of timers) t.clear();
      controller.abort();
    }
    await slept; // abort still ends it at once
  });

  it("longTimeout still fires for ordinary delays", async () => {
    const fired = await new Promise<boolean>((resolve) => longTimeout(() => resolve(true), 5));
    expect(fired).toBe(true);
  });

  describe("through the emulator", () => {
    let h: Harness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(() => h.emu.close());

    it("scripted `sleep 2147484` (2^31 ms) runs until the command's timeout instead of ending at once", async () => {
      const started = Date.now();
      const out = await runCommand(h, { command: "sleep 2147484; echo woke", timeout: 1 });
      expect(out.stdout).toBe("");
      expect(out.stop).toEqual({ exitCode: -1, status: "TIMED_OUT" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });

    it("a coldstart fault with delayMs=2^31 does not answer after 1 ms", async () => {
      const controller = new AbortController();
      const res = h.post("invocations", { body: {}, headers: { [FAULT]: `coldstart; delayMs=${HUGE}` }, signal: controller.signal });
      res.catch(() => undefined);
      expect(await within(res, 1000)).toBe(PENDING);
      controller.abort();
    });

    it("a drip fault with delayMs=2^31 sends one piece and waits", async () => {
      const controller = new AbortController();
      const res = await h.post("invocations", {
        body: { prompt: "one two three" },
        headers: { Accept: "text/event-stream", [FAULT]: `drip; delayMs=${HUGE}` },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(first.value!.byteLength).toBeLessThanOrEqual(7);
      const next = reader.read();
      next.catch(() => undefined);
      expect(await within(next, 1000)).toBe(PENDING);
      controller.abort();
    });

    it("the default agent's delayMs=2^31 holds the second SSE event back", async () => {
      const controller = new AbortController();
      const sid = sessionId("delay");
      const res = await h.post("invocations", {
        body: { prompt: "one two three", delayMs: HUGE },
        headers: { Accept: "text/event-stream", [SESSION]: sid },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      while (!text.includes("\n\n")) text += decoder.decode((await reader.read()).value);
      expect(text).toBe('data: "You "\n\n');
      const next = reader.read();
      next.catch(() => undefined);
      expect(await within(next, 1000)).toBe(PENDING);
      controller.abort();
    });
  });
});
