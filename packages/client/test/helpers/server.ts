import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface TestServer {
  url: string;
  requests: Recorded[];
  /** Sockets closed by the peer (the client) so far. */
  closedSockets(): number;
  close(): Promise<void>;
}

/** A purpose-built HTTP server on 127.0.0.1 whose every response the test scripts byte by byte. */
export async function startServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, recorded: Recorded) => void | Promise<void>,
): Promise<TestServer> {
  const requests: Recorded[] = [];
  let closed = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded: Recorded = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      requests.push(recorded);
      Promise.resolve(handle(req, res, recorded)).catch((e) => {
        res.destroy(e);
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closedSockets: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij";
export const SESSION = "session-0123456789-0123456789-0123456789";
export const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXNlY3JldA";

export function sse(res: http.ServerResponse, status = 200, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "text/event-stream", "x-amzn-requestid": "req-1", ...headers });
}

export function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error("condition not met in time"));
      setTimeout(tick, 10);
    };
    tick();
  });
}
