import { join } from "node:path";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { runQuickStart } from "./helpers/quickStart";

// The package's own README is what npm shows; its quick start must run as written, like the project README's
// (readme.snippets.test.ts), against the emulator.

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

test("packages/client/README.md's quick start runs as written against the emulator", async () => {
  const { printed, written } = await runQuickStart(join(__dirname, "../README.md"), emulator);

  expect(printed[0]).toContain("Hello");
  expect(written.join("")).toContain("Tell me a story");
  expect(written.length).toBeGreaterThan(1); // streamed in several events
  expect(printed[1]).toBe("0 COMPLETED hello from the container\n");
  expect(printed[2]).toMatch(/^InvokeCommand took \d+ ms$/);
  const ops = emulator.requests.map((r) => `${r.op}:${r.status}`);
  expect(ops).toEqual(["invocations:200", "invocations:200", "commands:200", "stopruntimesession:200", "invocations:200"]);
});
