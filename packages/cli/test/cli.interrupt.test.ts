import type { Emulator } from "@agentcore-runtime/emulator";
import { start, useEmulator, waitForStdout } from "./helpers";

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
useEmulator((e, en) => {
  emulator = e;
  env = en;
});

describe("interruptions", () => {
  it("SIGINT during invoke --stream aborts the request and exits 130 at once", async () => {
    // 4 words x 50 repeats at 200 ms each: about 40 s if nothing stopped it
    const run = start(["invoke", "--stream", '{"prompt":"slow slow slow","repeat":50,"delayMs":200}'], { env });
    await waitForStdout(run);
    const sentAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    // far below the ~40 s the stream would run
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(r.stdout.startsWith("You ")).toBe(true);
    expect(r.stderr).toBe("");
  });

  it("SIGINT during a streamed exec exits 130", async () => {
    const run = start(["exec", "echo started; sleep 30"], { env });
    await waitForStdout(run);
    expect(run.stdout()).toBe("started\n");
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.elapsed).toBeLessThan(10000);
  });

  it("SIGTERM exits 143", async () => {
    const run = start(["invoke", "--stream", '{"prompt":"slow","repeat":50,"delayMs":200}'], { env });
    await waitForStdout(run);
    run.child.kill("SIGTERM");
    expect((await run.done).code).toBe(143);
  });

  it("a reader that goes away (| head -1) aborts the stream: exit 141, no error line", async () => {
    // 3 tokens x 200 repeats at 20 ms each: about 12 s if nothing stopped it
    const run = start(["invoke", "--stream", '{"prompt":"tick","repeat":200,"delayMs":20}'], { env });
    await waitForStdout(run);
    const goneAt = Date.now();
    run.child.stdout.destroy();
    const r = await run.done;
    expect(r.code).toBe(141);
    expect(r.stderr).toBe("");
    expect(Date.now() - goneAt).toBeLessThan(5000);
  });
});
