import { startEmulator } from "../src";

describe("session timer options", () => {
  it.each([
    ["sessionIdleTimeoutSeconds", 0],
    ["sessionIdleTimeoutSeconds", -1],
    ["sessionIdleTimeoutSeconds", Number.NaN],
    ["sessionIdleTimeoutSeconds", Number.POSITIVE_INFINITY],
    ["sessionIdleTimeoutSeconds", 28800.5],
    ["sessionMaxLifetimeSeconds", 0],
    ["sessionMaxLifetimeSeconds", 28801],
    // Above 2^31-1 ms Node's setTimeout fires after 1 ms: every session would die at once.
    ["sessionMaxLifetimeSeconds", 2 ** 31 / 1000 + 1],
  ])("rejects %s = %p", async (name, value) => {
    await expect(startEmulator({ [name]: value })).rejects.toThrow(
      new RangeError(`${name} must be a number of seconds greater than 0 and at most 28800, got ${value}`),
    );
  });

  it("accepts fractions for tests and the service's maximum", async () => {
    const emu = await startEmulator({ sessionIdleTimeoutSeconds: 0.05, sessionMaxLifetimeSeconds: 28800 });
    await emu.close();
  });
});
