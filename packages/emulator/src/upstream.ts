import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { CUSTOM_HEADER_PREFIX, FAULT_HEADER, INVOKE_ECHO_HEADERS, SESSION_HEADER, USER_ID_HEADER } from "./headers";

const FORWARDED = new Set<string>(["content-type", "accept", SESSION_HEADER, USER_ID_HEADER, "mcp-method", "mcp-name", ...INVOKE_ECHO_HEADERS]);

/** Fronts an agent container (`POST /invocations`), as the platform does. */
export class Upstream {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(url: string) {
    this.base = new URL(url.endsWith("/") ? url : `${url}/`);
    if (this.base.protocol !== "http:" && this.base.protocol !== "https:") throw new Error(`Upstream must be an http(s) URL: ${url}`);
    // Its own pool, so close() can end every connection to the container.
    const options = { keepAlive: true };
    this.agent = this.base.protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
  }

  /** Sends the invocation; resolves with the container's response head, its body still to be read. */
  invoke(headers: Record<string, string>, sessionId: string, body: Buffer, signal: AbortSignal): Promise<IncomingMessage> {
    const out: Record<string, string> = { "content-length": String(body.byteLength), [SESSION_HEADER]: sessionId };
    for (const [name, value] of Object.entries(headers)) {
      // The emulator forwards every custom header, as if all were allow-listed on the runtime.
      if (FORWARDED.has(name) || (name.startsWith(CUSTOM_HEADER_PREFIX) && name !== FAULT_HEADER)) out[name] = value;
    }
    const transport = this.base.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(new URL("invocations", this.base), { method: "POST", headers: out, agent: this.agent, signal });
      req.once("response", resolve);
      req.once("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
