import { defaultAgent, type AgentContext, type AgentHandler } from "@agentcore-runtime/emulator";

/** Sessions a {@link foreverAgent} saw: whose endless stream started, and whose call was aborted. */
export interface ForeverSessions {
  started?: string[];
  aborted: string[];
}

/**
 * An emulator agent for cancellation tests: payload `{ prompt: "forever" }` streams `tick N ` every 20 ms
 * until the call is aborted (the session id then goes to `sessions.aborted`); anything else gets the
 * emulator's default agent.
 */
export function foreverAgent(sessions: ForeverSessions): AgentHandler {
  function forever(ctx: AgentContext): AsyncGenerator<string> {
    sessions.started?.push(ctx.sessionId);
    ctx.signal.addEventListener("abort", () => sessions.aborted.push(ctx.sessionId), { once: true });
    return (async function* () {
      for (let i = 0; !ctx.signal.aborted; i++) {
        yield `tick ${i} `;
        await new Promise<void>((resolve) => {
          const done = () => (clearTimeout(timer), ctx.signal.removeEventListener("abort", done), resolve());
          const timer = setTimeout(done, 20);
          ctx.signal.addEventListener("abort", done, { once: true });
        });
      }
    })();
  }
  return (payload, ctx) => ((payload as { prompt?: string })?.prompt === "forever" ? forever(ctx) : defaultAgent(payload, ctx));
}

/** Waits until `check()` holds, polling every 20 ms; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
