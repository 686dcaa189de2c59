import { createInterface } from "node:readline";
import { connectWebSocket, type WebSocketMessage } from "@agentcore-runtime/client";
import { ownWs } from "../wsPackage";
import type { WsArgs } from "../args";
import type { CommandContext } from "../context";
import { EXIT } from "../errors";

/** The service closes a connection past 250 frames a second: lines are sent at most this fast. */
const MAX_PER_SECOND = 200;
/** After stdin ends, the connection is closed once the agent has been silent this long (or closes it itself). */
const QUIET_AFTER_EOF_MS = 2000;

/** A received message for stdout: as is (text plus a newline, bytes raw), or with --json one JSON line each. */
function rendered(message: WebSocketMessage, json: boolean): string | Uint8Array {
  if (!json) return typeof message === "string" ? `${message}\n` : message;
  return `${JSON.stringify(typeof message === "string" ? { type: "text", data: message } : { type: "binary", base64: Buffer.from(message).toString("base64") })}\n`;
}

/**
 * `agentcore ws`: each stdin line is sent as a text message to the runtime's `/ws`; each message received is
 * printed. When stdin ends the connection is closed once the agent has been quiet for 2 s (--idle-timeout-ms
 * sets that wait) or when the agent closes it. An abnormal close (1008, 1011, …) is an error, exit 1.
 */
export async function ws(args: WsArgs, ctx: CommandContext): Promise<number> {
  const connection = await connectWebSocket(ctx.client, ctx.target, { signal: ctx.signal, connection: ctx.connection, ws: await ownWs() });
  if (ctx.sessionGenerated) await ctx.messages.line(`agentcore: session ${connection.sessionId}`);
  const quietMs = args.globals.idleTimeoutMs ?? QUIET_AFTER_EOF_MS;
  // the last line sent or message received: the agent's reply to the last line counts from that line
  let lastMessage = Date.now();
  let stdinDone = false;
  let quietTimer: NodeJS.Timeout | undefined;
  const armQuiet = () => {
    if (!stdinDone) return;
    clearTimeout(quietTimer);
    quietTimer = setTimeout(() => connection.close(1000), Math.max(0, quietMs - (Date.now() - lastMessage)));
  };

  const sending = (async () => {
    const lines = createInterface({ input: ctx.stdin, crlfDelay: Infinity, terminal: false });
    // when the last MAX_PER_SECOND lines went out, oldest first: a line waits until the one MAX_PER_SECOND
    // before it is a second old, so no second (not only no calendar second) holds more
    const sentAt: number[] = [];
    try {
      for await (const line of lines) {
        if (sentAt.length === MAX_PER_SECOND) {
          const wait = sentAt.shift()! + 1000 - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        connection.send(line);
        sentAt.push(performance.now());
        lastMessage = Date.now();
      }
    } catch {
      // the connection closed under us: the receive loop reports why
    } finally {
      lines.close();
    }
    stdinDone = true;
    armQuiet();
  })();

  try {
    for await (const message of connection) {
      lastMessage = Date.now();
      armQuiet();
      await ctx.out.write(rendered(message, ctx.json));
    }
  } finally {
    clearTimeout(quietTimer);
  }
  // the agent ended the connection: stdin is not read any further
  void sending;
  return EXIT.ok;
}
