/**
 * The CLI against hostile servers and odd input: secrets, exit codes, bad input, pipes, stdin, TTY and stderr hygiene.
 * Runs the built bin (packages/cli/dist/bin.js) against an emulator or a purpose-built node:http server on 127.0.0.1.
 * Tests under "DEFECT" fail on the current code; the others pin behaviour that was checked and is right.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { shellJoin } from "../src/shellQuote";
import { BIN, cli, envFor, requireBuild, start, waitFor } from "./helpers";

jest.setTimeout(60_000);

const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/review_agent-abcdefghij";
const SESSION = "review-s8-session-000000000000000000001";
/** Opaque (not JWT-shaped): only exact matching can keep it out of the output. 40 characters. */
const OPAQUE = "opaqueSECRETtoken-a1b2c3d4e5f6g7h8i9j0kl";

/** No substring of the secret of `min` characters or more may appear. */
function expectNoPartOf(text: string, secret: string, min = 10): void {
  for (let i = 0; i + min <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + min));
}

// ---------- a scriptable node:http server ----------
type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer, token: string) => void;
let handler: Handler = (_q, res) => res.end();
let server: Server;
let serverUrl: string;
let received: { body: Buffer; headers: IncomingMessage["headers"] }[] = [];

function serverEnv(token = OPAQUE): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, AGENT_ARN: ARN, AGENTCORE_TOKEN: token, BEDROCK_AGENTCORE_DP_ENDPOINT: serverUrl };
}

// ---------- an exec-enabled emulator ----------
let emulator: Emulator;
let emuEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  requireBuild();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      received.push({ body, headers: req.headers });
      handler(req, res, body, String(req.headers.authorization ?? "").replace(/^Bearer /, ""));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  emulator = await startEmulator({ port: 0, exec: true });
  emuEnv = envFor(emulator, await emulator.issueToken());
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await emulator?.close();
});
beforeEach(() => {
  received = [];
});

describe("(was a defect) a token echoed by the server is printed in part when the SDK cuts the text before redacting it", () => {
  it("a plain-text 401 body: the error line keeps 39 of the token's 40 characters", async () => {
    handler = (_q, res, _b, token) => {
      res.writeHead(401, { "content-type": "text/plain" });
      // the SDK keeps the first 300 characters of a non-JSON body, then redacts: the cut token no longer matches
      res.end(`${"y".repeat(300 - 39)}${token} is not a valid token`);
    };
    const r = await cli(["--session", SESSION, "--max-attempts", "1", "invoke", "hi"], { env: serverEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: UnauthorizedException: HTTP 401: y+/);
    expectNoPartOf(r.stdout + r.stderr, OPAQUE);
  });

  it("--debug: the response payload record is clipped at 4096 characters before it is scrubbed", async () => {
    handler = (_q, res, _b, token) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${"z".repeat(4096 - 30)}${token}`);
    };
    const r = await cli(["--debug", "--session", SESSION, "invoke", "hi"], { env: serverEnv() });
    expect(r.code).toBe(0);
    // stdout is the reply (data, passed through); the log records on stderr promise scrubbed strings
    expectNoPartOf(r.stderr, OPAQUE);
  });
});

describe("(was a defect) server-controlled error text reaches the terminal unescaped and on several lines", () => {
  it("an in-band SSE error whose error_type holds a newline and escapes: one line, no control characters", async () => {
    handler = (_q, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const error = { error: "x", error_type: "Oops\nagentcore: session-id forged (new)\u001b[31m", message: "m \u001b]52;c;cm0gLXJmIH4=\u0007 \u001b[2J" };
      res.end(`data: "hi"\n\ndata: ${JSON.stringify(error)}\n\n`);
    };
    const r = await cli(["--session", SESSION, "invoke", "--stream", "hi"], { env: serverEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("hi\n");
    // "one line on stderr, agentcore: <ErrorName>: <message>" (README), and nothing a terminal acts on
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it("a JSON error body with an OSC 52 (clipboard) sequence in its message", async () => {
    handler = (_q, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "boom \u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J cleared" }));
    };
    const r = await cli(["--session", SESSION, "--max-attempts", "1", "invoke", "hi"], { env: serverEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: InternalServerException: boom /);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});

describe("(was a defect) exec: the CLI's own message is glued to the command's unterminated stderr line", () => {
  it("a timed-out command that printed progress without a newline", async () => {
    const r = await cli(["--session", SESSION, "exec", "--timeout", "1", 'printf "progress 50%%" >&2; sleep 5'], { env: emuEnv });
    expect(r.code).toBe(124);
    expect(r.stderr.split("\n")).toContain("agentcore: the command timed out after 1 s (status TIMED_OUT)");
  });
});

describe("(was a defect) invoke - reads stdin without any bound", () => {
  it("an endless stdin: stops at the 100 MB payload limit with a clear error, instead of growing until the machine runs out of memory", async () => {
    const zero = openSync("/dev/zero", "r");
    const child = spawn(process.execPath, [BIN, "--session", SESSION, "invoke", "-"], { env: serverEnv(), stdio: [zero, "pipe", "pipe"] });
    closeSync(zero);
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (t: string) => (stderr += t));
    const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    let exited = false;
    void done.then(() => (exited = true));
    const rss = () => {
      try {
        return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    };
    // the right behaviour reads 100 MB + 1 byte and exits well below 1 GB; today RSS grows ~0.7 GB a second
    let runaway = false;
    try {
      await waitFor(() => exited || (runaway = rss() > 1024 * 1024 * 1024), 20_000);
    } catch {
      runaway = true;
    }
    if (!exited) child.kill("SIGKILL");
    const code = await done;
    expect(runaway).toBe(false);
    expect(code).toBe(1);
    expect(stderr).toMatch(/payload is \d+ bytes; the service accepts at most 100000000/);
    expect(received).toHaveLength(0);
  });
});

describe("(was a defect) a stdout write error that is not EPIPE is reported as SIGPIPE, silently", () => {
  (existsSync("/dev/full") ? it : it.skip)("stdout on a full device (ENOSPC): exit 1 with a message, not a silent 141", async () => {
    handler = (_q, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ response: "reply" }));
    };
    const full = openSync("/dev/full", "w");
    const child = spawn(process.execPath, [BIN, "--session", SESSION, "invoke", "hi"], { env: serverEnv(), stdio: ["ignore", full, "pipe"] });
    closeSync(full);
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (t: string) => (stderr += t));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    // the reply was lost: a script must learn why, and 141 claims the reader went away on purpose
    expect(code).not.toBe(141);
    expect(stderr).toMatch(/ENOSPC|no space/i);
  });
});

describe("(was a defect) a PAYLOAD argument that is not UTF-8 is silently re-encoded", () => {
  it("caf\\xe9 (Latin-1) is sent as caf\\uFFFD although the README promises byte for byte", async () => {
    handler = (_q, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ response: "ok" }));
    };
    const child = spawn("/bin/sh", ["-c", 'exec "$0" "$1" --session "$2" invoke "$(printf "caf\\351")"', process.execPath, BIN, SESSION], {
      env: serverEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    // either refused before sending (pointing at `-` for bytes) or sent as typed; never a different byte sequence
    if (received.length === 0) expect(code).toBe(2);
    else expect(received[0].body.toString("hex")).toBe("636166e9");
  });
});

describe("(was a defect) help takes every command name but its own", () => {
  it("agentcore help help: the general help, exit 0 (today: unknown command 'help'; did you mean 'help'?)", async () => {
    const r = await cli(["help", "help"], { env: serverEnv() });
    expect(r.stderr).not.toContain("did you mean 'help'");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: agentcore/);
  });
});

describe("(was a defect) a response limit error tells a CLI user to raise an SDK option the CLI does not have", () => {
  it("an SSE event over 16 MiB: the advice names maxEventBytes 'on the client or per call'", async () => {
    const r = await cli(["--session", SESSION, "invoke", "--stream", '{"bytes":17000000,"chunkSize":17000000}'], { env: emuEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: ResponseLimitExceededError: /);
    expect(r.stderr).not.toContain("on the client or per call");
  });
});

describe("(was a defect) --json prints response-header fields that echo the token", () => {
  it("a server echoing the token in the session-id and content-type headers", async () => {
    handler = (_q, res, _b, token) => {
      res.writeHead(200, {
        "content-type": `application/json; x=${token}`,
        "x-amzn-bedrock-agentcore-runtime-session-id": `s-${token}-0000000000000000`,
        "x-amzn-requestid": `r-${token}`,
      });
      res.end(JSON.stringify({ response: "ok" }));
    };
    const r = await cli(["invoke", "--json", "hi"], { env: serverEnv() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).requestId).toBe("r-[REDACTED]"); // scrubbed by the SDK
    expect(r.stdout).not.toContain(OPAQUE); // sessionId and contentType are not
  });
});

// ---------- the spinner with --allow-insecure-http (TTY via util-linux script, a non-loopback address) ----------
const haveScript = spawnSync("script", ["--version"]).status === 0;

describe("(was a defect) --allow-insecure-http logs records on stderr while the spinner draws on the same line", () => {
  let slow: Emulator;
  let reachable = false;
  let endpoint = "";
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    slow = await startEmulator({
      port: 0,
      allowedHosts: ["[::ffff:7f00:1]", "::ffff:7f00:1"],
      agent: async (_p: unknown, ctx: { signal: AbortSignal }) => {
        await new Promise((resolve) => {
          const t = setTimeout(resolve, 900);
          ctx.signal.addEventListener("abort", () => clearTimeout(t), { once: true });
        });
        throw new Error("agent failed late");
      },
    });
    const port = Number(new URL(slow.url).port);
    endpoint = `http://[::ffff:127.0.0.1]:${port}`;
    env = envFor(slow, await slow.issueToken(), { BEDROCK_AGENTCORE_DP_ENDPOINT: undefined, TERM: "xterm" });
    reachable = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "::ffff:127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
  });
  afterAll(() => slow?.close());

  (haveScript ? it : it.skip)("every log record starts its own line (README: no spinner while logging)", async () => {
    if (!reachable) return;
    const args = [process.execPath, BIN, "--allow-insecure-http", "--endpoint", endpoint, "--session", SESSION, "--max-attempts", "1", "invoke", "hi"];
    const child = spawn("script", ["-qfec", shellJoin(args), "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (t: string) => (output += t));
    await new Promise((resolve) => child.on("close", resolve));
    // the warning record, then the failure as its one plain line (--allow-insecure-http alone logs no error record)
    expect(output).toMatch(/^\{"level":"warn"/m);
    expect(output).toMatch(/^agentcore: RuntimeClientError: /m);
    expect(output).not.toContain('{"level":"error"');
    expect(output).not.toMatch(/waiting for the agent…\{"level"/);
    expect(output).not.toContain("waiting for the agent");
  });
});

// ---------- checked and right ----------
describe("stays right: secrets", () => {
  it.each([
    ["a JSON error message", 403, "application/json", (t: string) => JSON.stringify({ message: `bad token ${t}`, token: t })],
    ["an HTML page", 401, "text/html", (t: string) => `<html><body><p>token ${t}</p></body></html>`],
    ["a short text body", 401, "text/plain", (t: string) => `invalid: ${t}`],
  ])("the exact token echoed in %s is redacted, --debug included", async (_what, status, type, body) => {
    handler = (_q, res, _b, token) => {
      res.writeHead(status, { "content-type": type, "x-amzn-requestid": token });
      res.end(body(token));
    };
    const r = await cli(["--debug", "--session", SESSION, "--max-attempts", "1", "invoke", "hi"], { env: serverEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[REDACTED]");
    expect(r.stdout + r.stderr).not.toContain(OPAQUE);
  });

  it("a --token-file token echoed in an in-band error name and message is redacted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rv-s8-"));
    const file = join(dir, "tok");
    writeFileSync(file, `${OPAQUE}\n`);
    handler = (_q, res, _b, token) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify({ error: `bad ${token}`, error_type: `Err${token}` })}\n\n`);
    };
    const r = await cli(["--token-file", file, "--session", SESSION, "invoke", "hi"], { env: { ...serverEnv(), AGENTCORE_TOKEN: undefined } });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("agentcore: Err[REDACTED]: bad [REDACTED]\n");
  });
});

describe("stays right: stdin, limits, pipes and signals", () => {
  it("empty stdin with -: an empty text/plain payload is sent, exit 0 (as documented)", async () => {
    handler = (_q, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    };
    const r = await cli(["--session", SESSION, "invoke", "-"], { env: serverEnv(), stdin: "" });
    expect(r).toMatchObject({ code: 0, stdout: "ok\n", stderr: "" });
    expect(received).toHaveLength(1);
    expect(received[0].body.length).toBe(0);
    expect(received[0].headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("100 MB + 1 byte on stdin: InvalidParameterError, exit 1, nothing sent", async () => {
    const child = spawn(process.execPath, [BIN, "--session", SESSION, "invoke", "-"], { env: serverEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (t: string) => (stderr += t));
    child.stdin.on("error", () => undefined);
    child.stdin.end(Buffer.alloc(100_000_001, 0x61));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toBe("agentcore: InvalidParameterError: payload is 100000001 bytes; the service accepts at most 100000000\n");
    expect(received).toHaveLength(0);
  });

  it("SIGINT while reading a stdin that never ends: exit 130 at once, no output", async () => {
    const child = spawn(process.execPath, [BIN, "--session", SESSION, "invoke", "-"], { env: serverEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (t: Buffer) => (out += t));
    child.stderr.on("data", (t: Buffer) => (out += t));
    await new Promise((r) => setTimeout(r, 700));
    const at = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    child.stdin.destroy();
    expect(code).toBe(130);
    expect(Date.now() - at).toBeLessThan(3000);
    expect(out).toBe("");
  });

  it("SIGINT during a retry backoff (Retry-After 20 s): exit 130 at once, no stack", async () => {
    const fault = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault: throttle; retryAfter=20";
    const run = start(["-H", fault, "--session", SESSION, "invoke", "hi"], { env: emuEnv });
    try {
      await waitFor(() => emulator.requests.some((q) => q.op === "invocations" && q.status === 429), 10_000);
    } catch (e) {
      run.child.kill("SIGKILL");
      throw new Error(`no throttled request: ${JSON.stringify(emulator.requests.slice(-2))} ${run.stderr()}`);
    }
    const at = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(Date.now() - at).toBeLessThan(3000);
    expect(r.stderr).toBe("");
  });

  it("ws | head -2: exit 141, no EPIPE noise", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => String(i)).join("\n");
    const run = start(["--session", SESSION, "ws"], { env: emuEnv, stdin: `${lines}\n` });
    await waitFor(() => run.stdout().split("\n").length > 2, 15_000);
    run.child.stdout.destroy();
    const r = await run.done;
    expect(r.code).toBe(141);
    expect(r.stderr).toBe("");
  });

  it("exec: a UTF-8 character split across two writes of the command arrives whole", async () => {
    const r = await cli(["--session", SESSION, "exec", "printf '\\346\\227'; sleep 0.3; printf '\\245\\n'"], { env: emuEnv });
    expect(r).toMatchObject({ code: 0, stdout: "日\n" });
  });
});
