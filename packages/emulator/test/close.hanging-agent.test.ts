import { start } from "./helpers";

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => "settled" as const), new Promise<"pending">((r) => setTimeout(() => r("pending"), ms).unref())]);

describe("close() with an agent that ignores ctx.signal", () => {
  it("resolves promptly while the agent never settles, and cuts the waiting client", async () => {
    let called!: () => void;
    const entered = new Promise<void>((r) => (called = r));
    const h = await start({
      agent: () => {
        called();
        return new Promise(() => {});
      },
    });
    const pending = h.post("invocations", { body: { prompt: "hi" } }).then(
      (res) => res.text(),
      (err: unknown) => err,
    );
    await entered;
    const started = Date.now();
    expect(await within(h.emu.close(), 1500)).toBe("settled");
    expect(Date.now() - started).toBeLessThan(1500);
    expect(String(await pending)).toMatch(/TypeError: (fetch failed|terminated)/);
  });

  it("a client leaving ends the request at once; what the agent answers later is released", async () => {
    let called!: () => void;
    const entered = new Promise<void>((r) => (called = r));
    let answer!: (value: unknown) => void;
    let released!: () => void;
    const returned = new Promise<void>((r) => (released = r));
    const iterable = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: "never sent" }),
        return: async () => {
          released();
          return { done: true, value: undefined };
        },
      }),
    };
    const h = await start({
      agent: () => {
        called();
        return new Promise((resolve) => (answer = resolve));
      },
    });
    try {
      const controller = new AbortController();
      const pending = h.post("invocations", { body: {}, signal: controller.signal }).catch((err: unknown) => err);
      await entered;
      controller.abort();
      await pending;
      // Let the server see the client go before the agent answers.
      await new Promise((r) => setTimeout(r, 100));
      answer(iterable);
      expect(await within(returned, 1000)).toBe("settled");
    } finally {
      expect(await within(h.emu.close(), 1500)).toBe("settled");
    }
  });
});
