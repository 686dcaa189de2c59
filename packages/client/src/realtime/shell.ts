// Interactive shells over `/ws/shells` (PROTOCOL.md, "Interactive shells"): binary frames of one channel byte
// and a payload; reconnects on 1001/1006 with the same shellId, output replayed on reconnect delivered once.
import type { RuntimeClient } from "../RuntimeClient";
import type { RuntimeClientConfig } from "../types";
import { AgentRuntimeError, clientError, ClientErrorNames, inBandError, listenToSignal, redact, sessionIdFor, startTimer, uuidv4 } from "./internals";
import { closeError, connectWaitMs, openConnection, type ConnectWebSocketOptions, type WebSocketConfig, type WebSocketConnection, type WebSocketConnectionInput, type WebSocketConstructorLike } from "./webSocket";

const STDIN = 0x00;
const STDOUT = 0x01;
const STDERR = 0x02;
const STATUS = 0x03;
const RESIZE = 0x04;
const HEARTBEAT = 0x05;
const CLOSE = 0xff;

const SHELL_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/;
/** Largest STDIN payload per frame: frames of at most 32 KiB, as the service asks of clients. */
const MAX_STDIN_PAYLOAD = 32 * 1024 - 1;
/** Output already delivered that is kept to recognise a replay after a reconnect (the service replays 256 KB). */
const TAIL_BYTES = 256 * 1024;
/** What a shell killed with `kill()` reports when the server sends no exit STATUS: SIGKILL, 128 + 9. */
const KILLED: ShellExit = { exitCode: 137, signal: "SIGKILL" };
/**
 * Output bytes held for a reader that is behind before the shell stops taking messages off its connection (which
 * then stops reading its socket, so TCP holds the server back); it reads on once the reader is down to half.
 */
const OUTPUT_HIGH_WATER = 1024 * 1024;
/** setInterval runs a longer interval every millisecond; a heartbeat that rare is none. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;
/** Heartbeats in a row with nothing received (no echo, no other frame) after which the peer counts as dead. */
const MISSED_HEARTBEATS = 3;
/**
 * The service closes a connection that sends more than 250 frames in a second (1008). Frames leave at most
 * FRAME_RATE a second after a burst of FRAME_BURST, so no one-second window holds more than 200 of them (a fifth
 * to spare for frames that bunch up on the way, or a stalled event loop); input written meanwhile waits, joined
 * into frames of up to 32 KiB (about 5.6 MiB a second).
 */
const FRAME_RATE = 180;
const FRAME_BURST = 20;
/**
 * Bytes the connection's socket may hold unsent before no more input is handed to it: on a slow uplink input
 * waits in the shell (where `write()` and `drain()` see it), not unbounded in the socket, and a backlog of frames
 * cannot reach the service all at once.
 */
const SOCKET_LOW_WATER = 256 * 1024;
/** How often input waiting for the socket to take its backlog looks again. */
const SOCKET_POLL_MS = 20;
/** Input waiting to be sent past which `write()` returns false: wait for `drain()` before writing more. */
const INPUT_HIGH_WATER = 1024 * 1024;
/** Input waiting to be sent past which `write()` refuses more (a writer that ignores `false`). */
const MAX_WAITING_INPUT = 64 * 1024 * 1024;

export interface OpenShellInput extends WebSocketConnectionInput {
  /** `^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$`; default a new id. The same id (and session id) reattaches a detached shell. */
  shellId?: string | undefined;
  /** Terminal size to set once the shell is confirmed (1–1000 each); the shell starts at 80×24 otherwise. */
  cols?: number | undefined;
  /** Terminal height in rows, with `cols`. */
  rows?: number | undefined;
}

/** How `openShell` reconnects after the connection drops. */
export interface ShellReconnectOptions {
  /** Attempts after a drop (1001, 1006), default 5; a drop within `minUptimeMs` of a reconnect has those left. */
  maxAttempts?: number | undefined;
  /** First backoff, doubled per attempt, ±25% jitter; default 1000 ms. */
  baseDelayMs?: number | undefined;
  /** Backoff cap, default 15000 ms. */
  maxDelayMs?: number | undefined;
  /**
   * How long a reconnected connection must stay up to count as healthy, default 5000 ms. A drop before that
   * goes on with the same count and backoff (a connection that drops right after each reconnect gives up after
   * `maxAttempts`, not never); a drop after it starts again at attempt 1.
   */
  minUptimeMs?: number | undefined;
}

/** Options of `openShell`. */
export interface OpenShellOptions {
  /** Aborts opening; after that, aborting drops the connection (the shell keeps running, detached). */
  signal?: AbortSignal | undefined;
  /** Reconnect after 1001/1006 with the same shellId (default on: 5 tries, 1 s → 15 s); `false` to fail instead. */
  reconnect?: ShellReconnectOptions | false | undefined;
  /**
   * Milliseconds between heartbeats sent to keep the connection alive through proxies; default 30000. 0, and
   * values of 2^31-1 (24.8 days) or more, send none. When 3 heartbeats in a row see nothing come back (no echo,
   * no output), the peer counts as dead: the connection is dropped and reconnects as after a 1006.
   */
  heartbeatIntervalMs?: number | undefined;
  /**
   * Called after each successful reconnect. `attempt` counts on from the last reconnect when the connection dropped
   * again within `reconnect.minUptimeMs`, so it can be above 1 for a reconnect that worked at once.
   */
  onReconnect?: ((info: { attempt: number; bytesDropped: number }) => void) | undefined;
  /** A WHATWG WebSocket constructor to use instead of the default (see connectWebSocket). */
  WebSocket?: WebSocketConstructorLike | undefined;
  /** Node: the `ws` package's WebSocket class, for when the client cannot load `ws` itself (see connectWebSocket). */
  ws?: ConnectWebSocketOptions["ws"] | undefined;
  /** A ready-made (e.g. SigV4-signed) connection for `/ws/shells`, asked again on every reconnect (see connectWebSocket). */
  connection?: ConnectWebSocketOptions["connection"] | undefined;
}

/** How the shell ended: its exit code (128 + n when killed by signal n) and the signal's name, if any. */
export interface ShellExit {
  /** The shell's exit code; 128 + n when signal n killed it. */
  exitCode: number;
  /** The signal's name (e.g. `SIGKILL`), when a signal ended the shell. */
  signal?: string | undefined;
}

/** An interactive shell in the runtime's session (a pty: the command's stderr arrives on `output` too). */
export interface ShellSession {
  /** The shell's id: open it again with this id and the session id to reattach after `detach()`. */
  readonly shellId: string;
  /** The runtime session the shell runs in. */
  readonly sessionId: string;
  /** The first attach resumed an existing (detached) shell: its recent output is replayed on `output`. */
  readonly reconnected: boolean;
  /** Output bytes the service could not replay on the last reattach (its 256 KB replay buffer overflowed). */
  readonly bytesDropped: number;
  /**
   * Sends keystrokes or text to the shell (strings as UTF-8); the bytes are copied. Input leaves at the pace the
   * service allows (at most 250 frames a second: here about 5.6 MiB a second in 32 KiB frames); what cannot leave yet
   * waits, in order. Returns false once 1 MiB waits: wait for `drain()` before writing more. Throws
   * InvalidParameterError rather than hold more than 64 MiB.
   */
  write(data: string | Uint8Array): boolean;
  /** Bytes written that have not been sent yet. */
  readonly bufferedAmount: number;
  /**
   * Resolves once every byte written has been sent (`bufferedAmount` is 0), or the shell ended (what was still
   * waiting is then dropped: `exit` says how it ended).
   */
  drain(): Promise<void>;
  /** Sets the terminal size (1–1000 each); kept and sent again after a reconnect. */
  resize(cols: number, rows: number): void;
  /**
   * The terminal's output, in order, each byte once (see the replay rule in the README). Read it, or end it
   * (`break`): while 1 MiB of it waits unread the shell reads nothing more from its connection (backpressure).
   */
  readonly output: AsyncIterable<Uint8Array>;
  /** The platform's diagnostics (not the command's stderr, which a pty merges into `output`). */
  readonly stderr: AsyncIterable<Uint8Array>;
  /**
   * Resolves with the exit status (from the closing STATUS). Rejects when the shell could not be followed to its
   * end: detached (AbortError), taken over by another client (WebSocketClosedError 4000), a close or drop
   * without reconnect, or a platform failure.
   */
  readonly exit: Promise<ShellExit>;
  /** Leaves the shell running on the server for a later `openShell` with the same shellId and session id. */
  detach(): Promise<void>;
  /** Ends the shell (0xFF); resolves with its exit (SIGKILL, 137, when the server reports none). */
  kill(): Promise<ShellExit>;
}

/** An async iterable of byte chunks, filled by the connection, read once. */
class ByteQueue implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #waiter: { resolve(v: IteratorResult<Uint8Array>): void; reject(e: unknown): void } | undefined;
  #end: { error?: unknown } | undefined;
  #iterated = false;
  // the shell's pump, waiting for the reader to catch up
  #room: (() => void) | undefined;

  /** The reader is more than OUTPUT_HIGH_WATER behind (an ended queue takes nothing more: never full). */
  get full(): boolean {
    return !this.#end && this.#bytes > OUTPUT_HIGH_WATER;
  }

  /** The shell's pump waits in `room()`: it reads nothing from its connection. */
  get holding(): boolean {
    return this.#room !== undefined;
  }

  /** Resolves once the reader is down to half of OUTPUT_HIGH_WATER, the queue ended, or `release()`. */
  room(): Promise<void> {
    return new Promise((resolve) => (this.#room = resolve));
  }

  /** Lets a pump waiting in `room()` look again (the shell stopped holding back: detaching, killing). */
  release(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  push(chunk: Uint8Array): void {
    if (this.#end || chunk.byteLength === 0) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve({ value: chunk, done: false });
    } else {
      this.#chunks.push(chunk);
      this.#bytes += chunk.byteLength;
    }
  }

  end(error?: unknown): void {
    if (this.#end) return;
    this.#end = { error };
    this.release();
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w) error === undefined ? w.resolve({ value: undefined, done: true }) : w.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterated) throw clientError(ClientErrorNames.streamConsumed, "A shell's output can be iterated once");
    this.#iterated = true;
    return {
      next: () => {
        const chunk = this.#chunks.shift();
        if (chunk) {
          this.#bytes -= chunk.byteLength;
          if (this.#bytes <= OUTPUT_HIGH_WATER / 2) this.release();
          return Promise.resolve({ value: chunk, done: false });
        }
        if (this.#end) return this.#end.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#end.error);
        return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
      },
      return: async () => {
        // the reader is gone: nothing more is kept for it (and nothing holds the connection back for it)
        this.#chunks = [];
        this.#bytes = 0;
        this.end();
        return { value: undefined, done: true };
      },
    };
  }
}

function frame(channel: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(payload.byteLength + 1);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder();

function checkSize(cols: unknown, rows: unknown): void {
  for (const [field, value] of [
    ["cols", cols],
    ["rows", rows],
  ] as const) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1000) {
      throw clientError(ClientErrorNames.invalidParameter, `${field} must be a whole number from 1 to 1000, got ${String(value)}`, { fields: { field } });
    }
  }
}

/** 128 + the signal's number, for a name (`SIGTERM`, `TERM`) or a number; undefined for one not known. */
function signalExitCode(signal: unknown): number | undefined {
  const name = String(signal).toUpperCase().replace(/^SIG/, "");
  // the numbers of Linux (where the runtime runs): SIGHUP 1 to SIGTERM 15
  const n = /^\d+$/.test(name) ? Number(name) : "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM".split(" ").indexOf(name) + 1;
  return n >= 1 && n <= 64 ? 128 + n : undefined;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

type State = "open" | "reconnecting" | "detached" | "killing" | "ended";

interface StatusBody {
  status?: unknown | undefined;
  reason?: unknown | undefined;
  message?: unknown | undefined;
  code?: unknown | undefined;
  metadata?: { reconnected?: unknown; bytesDropped?: unknown } | undefined;
  details?: { causes?: { reason?: unknown; message?: unknown }[] } | undefined;
}

class Shell implements ShellSession {
  readonly shellId: string;
  readonly sessionId: string;
  reconnected = false;
  bytesDropped = 0;
  readonly output = new ByteQueue();
  readonly stderr = new ByteQueue();
  readonly exit: Promise<ShellExit>;
  readonly #client: WebSocketConfig;
  readonly #input: OpenShellInput;
  readonly #options: OpenShellOptions;
  #conn: (WebSocketConnection & { terminate(): void }) | undefined;
  // every token a connection of this shell used: removed from the errors its STATUS messages make
  readonly #secrets = new Set<string | undefined>();
  #state: State = "open";
  #confirm: { resolve(): void; reject(e: unknown): void } | undefined;
  #settle!: { resolve(v: ShellExit): void; reject(e: unknown): void };
  #exitStatus: ShellExit | undefined;
  #failure: AgentRuntimeError | undefined;
  #size: { cols: number; rows: number } | undefined;
  // input not sent yet (copies), in order; sent by #flush at the pace FRAME_RATE allows, on a confirmed connection
  #stdin: Uint8Array[] = [];
  #inputBytes = 0;
  // the terminal size waits to be sent (after a confirmation, or a resize() when the frame budget was spent)
  #resizeDue = false;
  // frames that may leave now (refilled at FRAME_RATE a second up to FRAME_BURST; control frames may overdraw it)
  #frameBudget = FRAME_BURST;
  #budgetAt = performance.now();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  // the current connection confirmed the shell: input may go out
  #ready = false;
  #drained: (() => void)[] = [];
  #killRequested = false;
  #attaches = 0;
  // replay accounting: absolute output offsets (bytes since the shell started, as the server counts them)
  #serverOffset = 0;
  #delivered = 0;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  #verify: { bytes: Uint8Array; start: number } | undefined;
  #beats = new Set<string>();
  #beatCount = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  // heartbeats sent since a frame last arrived; the connection cut when they found the peer dead
  #unanswered = 0;
  #lost: WebSocketConnection | undefined;
  // the reconnect loop runs (in state "reconnecting", or "killing" after a kill() meanwhile): no live connection
  #reconnecting = false;
  // the attempt that made the last reconnect, and when it did: a drop soon after goes on from there
  #lastReconnect: { attempt: number; at: number } | undefined;
  // ends the reconnect backoff early
  #wake: (() => void) | undefined;
  readonly #confirmTimeout: number;

  constructor(client: WebSocketConfig, input: OpenShellInput, shellId: string, sessionId: string, options: OpenShellOptions) {
    this.#client = client;
    this.#input = { ...input, sessionId };
    this.#options = options;
    this.shellId = shellId;
    this.sessionId = sessionId;
    // a RuntimeClient's validated config, or a plain config as given
    const config: RuntimeClientConfig | undefined = typeof (client as RuntimeClient | undefined)?.config === "object" ? (client as RuntimeClient).config : (client as RuntimeClientConfig | undefined);
    this.#confirmTimeout = connectWaitMs(config?.connectionTimeout);
    this.exit = new Promise<ShellExit>((resolve, reject) => (this.#settle = { resolve, reject }));
    // an exit nobody awaits must not be an unhandled rejection
    this.exit.catch(() => undefined);
    if (input.cols !== undefined || input.rows !== undefined) this.#size = { cols: input.cols ?? 80, rows: input.rows ?? 24 };
  }

  /**
   * Opens the connection and waits for the STATUS that confirms the shell: at most the connection timeout, after
   * which the connection is dropped and the wait fails with a (retryable) ConnectionTimeoutError.
   */
  async connect(): Promise<void> {
    const { connection, secrets } = await openConnection(this.#client, this.#input, "ws/shells", { shellId: this.shellId }, {
      signal: this.#options.signal,
      WebSocket: this.#options.WebSocket,
      ws: this.#options.ws,
      connection: this.#options.connection,
      // the shell's own heartbeats (through to the shell) tell a dead peer: no WebSocket pings besides
      pingIntervalMs: 0,
    });
    const conn = connection as WebSocketConnection & { terminate(): void };
    this.#conn = conn;
    for (const secret of secrets) this.#secrets.add(secret);
    const confirmed = new Promise<void>((resolve, reject) => (this.#confirm = { resolve, reject }));
    void this.#pump(conn);
    const limit = this.#confirmTimeout;
    const stop = startTimer(limit, () => {
      const confirm = this.#confirm;
      if (!confirm) return;
      this.#confirm = undefined;
      // given up: its end is no drop to act on (openShell or the reconnect loop gets this error instead)
      this.#conn = undefined;
      conn.terminate();
      confirm.reject(
        clientError(ClientErrorNames.connectionTimeout, `The shell was not confirmed within ${limit} ms (connectionTimeout)`, {
          fields: { beforeResponse: true },
          retryable: true,
        }),
      );
    });
    try {
      await confirmed;
    } finally {
      stop();
    }
  }

  startHeartbeat(): void {
    const every = this.#options.heartbeatIntervalMs ?? 30_000;
    if (!(every > 0) || every >= MAX_INTERVAL_MS) return;
    this.#heartbeat = setInterval(() => {
      const conn = this.#conn;
      if (this.#state !== "open" || !conn) return;
      // held back for a slow reader, nothing is read: an echo may be waiting unread, so silence proves nothing
      if (this.output.holding) this.#unanswered = 0;
      else if (this.#unanswered >= MISSED_HEARTBEATS) {
        // a dead peer (no echo, no FIN: TCP alone may take many minutes to tell): dropped, so it reconnects
        this.#unanswered = 0;
        this.#lost = conn;
        conn.terminate();
        return;
      }
      this.#unanswered++;
      const beat = `hb-${++this.#beatCount}`;
      if (this.#beats.size > 16) this.#beats.clear();
      this.#beats.add(beat);
      this.#send(frame(HEARTBEAT, encoder.encode(beat)));
    }, every);
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  async #pump(conn: WebSocketConnection): Promise<void> {
    let error: unknown;
    try {
      for await (const message of conn) {
        this.#unanswered = 0;
        if (typeof message === "string" || message.byteLength === 0) continue;
        this.#onFrame(message[0]!, message.subarray(1));
        // backpressure: no more messages taken off the connection while the reader is behind. Not before the
        // shell is confirmed, nor while detaching or killing: what they wait for comes after the output in flight
        while (this.output.full && !this.#confirm && (this.#state === "open" || this.#state === "reconnecting")) await this.output.room();
      }
    } catch (e) {
      error = e;
    }
    // the connection the heartbeats found dead ends as we cut it; it is a drop all the same
    this.#onEnd(conn, error ?? (conn === this.#lost ? closeError(1006, `no answer to ${MISSED_HEARTBEATS} heartbeats`) : undefined));
  }

  #onFrame(channel: number, payload: Uint8Array): void {
    switch (channel) {
      case STDOUT:
        return this.#onStdout(payload);
      case STDERR:
        return this.stderr.push(payload.slice());
      case STATUS: {
        let body: StatusBody;
        try {
          body = JSON.parse(decoder.decode(payload)) as StatusBody;
        } catch {
          return this.stderr.push(encoder.encode("agentcore: a STATUS frame was not JSON; ignored\n"));
        }
        return this.#onStatus(body);
      }
      case HEARTBEAT: {
        const text = decoder.decode(payload);
        // our own heartbeat (or answer) echoed: done. The server's: answered once with the same payload, and
        // that answer's echo is swallowed in turn, so two echoing peers never loop
        if (this.#beats.delete(text)) return;
        if (this.#beats.size > 16) this.#beats.clear();
        this.#beats.add(text);
        this.#send(frame(HEARTBEAT, payload));
        return;
      }
      case CLOSE:
        this.#killRequested = true;
        return;
      default:
        return;
    }
  }

  #onStatus(body: StatusBody): void {
    const meta = body.metadata ?? {};
    const dropped = typeof meta.bytesDropped === "number" && meta.bytesDropped >= 0 ? meta.bytesDropped : undefined;
    if (this.#confirm) {
      const confirm = this.#confirm;
      this.#confirm = undefined;
      if (body.status !== "Success") {
        confirm.reject(this.#statusError(body));
        this.#conn?.close(1000);
        return;
      }
      this.#onConfirmed(meta.reconnected === true, dropped ?? 0);
      confirm.resolve();
      return;
    }
    if (typeof meta.reconnected === "boolean") {
      // a second confirmation after the replay (the service's form): only its bytesDropped is news
      if (dropped !== undefined) this.bytesDropped = dropped;
      return;
    }
    if (body.status === "Success") this.#exitStatus = { exitCode: 0 };
    else if (body.reason === "NonZeroExitCode") {
      const causes = body.details?.causes ?? [];
      const code = Number(causes.find((c) => c?.reason === "ExitCode")?.message);
      const signal = causes.find((c) => c?.reason === "Signal")?.message;
      this.#exitStatus = { exitCode: Number.isInteger(code) ? code : (signalExitCode(signal) ?? 1), ...(typeof signal === "string" ? { signal } : {}) };
    } else this.#failure = this.#statusError(body);
  }

  #statusError(body: StatusBody): AgentRuntimeError {
    const message = typeof body.message === "string" ? body.message : `The shell failed: ${typeof body.reason === "string" ? body.reason : "unknown reason"}`;
    const statusCode = typeof body.code === "number" ? body.code : undefined;
    const error = inBandError(statusCode !== undefined && statusCode >= 500 ? "InternalServerException" : undefined, message, { statusCode, errorType: typeof body.reason === "string" ? body.reason : undefined });
    return redact(error, [...this.#secrets]);
  }

  /**
   * A confirmed attach. The replay that follows a reattach starts at offset `dropped` of the shell's output (the
   * bytes before it fell out of the service's replay buffer); bytes below what was already delivered are
   * skipped when they match the delivered tail byte for byte, so each byte reaches `output` once.
   */
  #onConfirmed(reconnected: boolean, dropped: number): void {
    const first = this.#attaches++ === 0;
    if (first) this.reconnected = reconnected;
    this.bytesDropped = dropped;
    if (!first && !reconnected) {
      // the shell ended (or the session did) while we were away: the service started a new one; end it
      this.#send(frame(CLOSE));
      this.#failure = clientError(ClientErrorNames.webSocketClosed, "The shell ended while the connection was down; its exit status is lost", { fields: { code: 1006 } });
      this.#conn?.close(1000);
      return;
    }
    this.#unanswered = 0;
    this.#serverOffset = reconnected ? dropped : 0;
    if (this.#delivered < this.#serverOffset) this.#delivered = this.#serverOffset;
    this.#verify = this.#tailBytes > 0 ? { bytes: concat(this.#tail), start: this.#delivered - this.#tailBytes } : undefined;
    this.#ready = true;
    if (this.#killRequested && this.#state === "killing") {
      this.#send(frame(CLOSE));
      return;
    }
    this.#resizeDue = this.#size !== undefined;
    this.#flush();
  }

  #onStdout(payload: Uint8Array): void {
    const start = this.#serverOffset;
    this.#serverOffset += payload.byteLength;
    let from = 0;
    if (start < this.#delivered) {
      // replayed bytes: skipped as long as they are the ones already delivered
      const overlap = Math.min(payload.byteLength, this.#delivered - start);
      const verify = this.#verify;
      let i = 0;
      for (; i < overlap; i++) {
        const at = start + i - (verify?.start ?? Infinity);
        if (!verify || at < 0 || verify.bytes[at] !== payload[i]) break;
      }
      if (i < overlap) {
        // not the replay we expected (or beyond what we can compare): deliver from here rather than lose bytes
        this.#delivered = start + i;
        this.#verify = undefined;
      }
      from = i;
    }
    const fresh = payload.slice(from);
    if (fresh.byteLength === 0) return;
    this.#delivered = start + payload.byteLength;
    this.#tail.push(fresh);
    this.#tailBytes += fresh.byteLength;
    while (this.#tailBytes - this.#tail[0]!.byteLength >= TAIL_BYTES) this.#tailBytes -= this.#tail.shift()!.byteLength;
    this.output.push(fresh);
  }

  /**
   * Sends a frame now; it counts against the frame budget (a control frame may overdraw it: input then waits
   * longer). False when the connection is closing or gone: nothing was sent.
   */
  #send(data: Uint8Array): boolean {
    const conn = this.#conn;
    if (!conn) return false;
    try {
      conn.send(data);
    } catch {
      return false;
    }
    this.#refill();
    this.#frameBudget--;
    return true;
  }

  #refill(): void {
    // a monotonic clock: a wall clock set back would leave the budget far below zero, and input stalled
    const now = performance.now();
    this.#frameBudget = Math.min(FRAME_BURST, this.#frameBudget + ((now - this.#budgetAt) * FRAME_RATE) / 1000);
    this.#budgetAt = now;
  }

  /**
   * Sends what waits (the terminal size, then input in frames of up to 32 KiB) as far as the frame budget goes,
   * and comes back when it allows the next frame. Only on a confirmed connection, while open or detaching.
   */
  #flush(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const conn = this.#conn;
    if (!this.#ready || !conn || this.#state === "killing" || this.#state === "ended") return;
    this.#refill();
    const roomy = () => this.#frameBudget >= 1 && conn.bufferedAmount < SOCKET_LOW_WATER;
    if (this.#resizeDue && roomy()) {
      // (a connection closing meanwhile: the size is sent again on the next one's confirmation)
      if (!this.#send(frame(RESIZE, encoder.encode(JSON.stringify({ width: this.#size!.cols, height: this.#size!.rows }))))) return;
      this.#resizeDue = false;
    }
    while (this.#inputBytes > 0 && roomy()) {
      const next = this.#takeInput();
      if (!this.#send(next)) {
        // the connection is closing: the input waits for the next one (reconnect), or is dropped with the shell
        this.#stdin.unshift(next.subarray(1));
        this.#inputBytes += next.byteLength - 1;
        return;
      }
    }
    if (this.#inputBytes > 0 || this.#resizeDue) {
      const wait = this.#frameBudget >= 1 ? SOCKET_POLL_MS : Math.ceil(((1 - this.#frameBudget) * 1000) / FRAME_RATE);
      this.#flushTimer = setTimeout(() => this.#flush(), wait);
    } else this.#wakeDrain();
  }

  /** The next STDIN frame: up to MAX_STDIN_PAYLOAD bytes of the waiting input. */
  #takeInput(): Uint8Array {
    const size = Math.min(this.#inputBytes, MAX_STDIN_PAYLOAD);
    const out = new Uint8Array(size + 1);
    out[0] = STDIN;
    for (let at = 1; at <= size; ) {
      const chunk = this.#stdin[0]!;
      const n = Math.min(chunk.byteLength, size + 1 - at);
      out.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), at);
      if (n === chunk.byteLength) this.#stdin.shift();
      else this.#stdin[0] = chunk.subarray(n);
      at += n;
    }
    this.#inputBytes -= size;
    return out;
  }

  /** Drops the input not sent (the shell ended or is being killed) and ends every `drain()` wait. */
  #dropInput(): void {
    this.#stdin = [];
    this.#inputBytes = 0;
    this.#resizeDue = false;
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#wakeDrain();
  }

  #wakeDrain(): void {
    const waiting = this.#drained;
    this.#drained = [];
    for (const wake of waiting) wake();
  }

  #onEnd(conn: WebSocketConnection, error: unknown): void {
    if (conn !== this.#conn) return;
    this.#ready = false;
    if (this.#confirm) {
      const confirm = this.#confirm;
      this.#confirm = undefined;
      confirm.reject(error ?? closeError(1000, "closed before the shell was confirmed"));
      return;
    }
    const state = this.#state;
    if (state === "detached") return this.#finish(undefined, this.#detached());
    if (this.#exitStatus) return this.#finish(this.#exitStatus);
    if (this.#failure) return this.#finish(undefined, this.#failure, this.#failure);
    if (state === "killing" || this.#killRequested) return this.#finish(KILLED);
    const code = (error as { code?: unknown } | undefined)?.code;
    if (error && (code === 1001 || code === 1006) && this.#options.reconnect !== false && !this.#options.signal?.aborted) {
      void this.#reconnect(error);
      return;
    }
    if (!error) return this.#finish(undefined, closeError(1000, "the connection ended without the shell's exit status"));
    this.#finish(undefined, error, error);
  }

  async #reconnect(cause: unknown): Promise<void> {
    this.#state = "reconnecting";
    this.#reconnecting = true;
    const settings = this.#options.reconnect || {};
    const maxAttempts = settings.maxAttempts ?? 5;
    const base = settings.baseDelayMs ?? 1000;
    const cap = settings.maxDelayMs ?? 15_000;
    const minUptime = settings.minUptimeMs ?? 5_000;
    // a kill() while reconnecting still reconnects, to deliver the 0xFF
    const active = () => this.#state === "reconnecting" || this.#state === "killing";
    // a connection that dropped before it was up minUptime goes on with the count: no endless fast reconnects
    const previous = this.#lastReconnect;
    const first = previous && performance.now() - previous.at < minUptime ? previous.attempt + 1 : 1;
    let last = cause;
    for (let attempt = first; attempt <= maxAttempts; attempt++) {
      const delay = Math.min(cap, base * 2 ** (attempt - 1));
      // (an abort during it: the connect that follows fails with the AbortError at once)
      await this.#backoff(delay * (0.75 + Math.random() * 0.5));
      if (!active()) return;
      try {
        await this.connect();
        this.#reconnecting = false;
        if (!active()) {
          // detached meanwhile: leave the shell as it is
          this.#conn?.close(1000, "detach");
          return;
        }
        if (this.#failure) return; // confirmed a new shell, not ours: #onEnd reports it
        if (this.#state === "reconnecting") this.#state = "open";
        this.#lastReconnect = { attempt, at: performance.now() };
        this.#options.onReconnect?.({ attempt, bytesDropped: this.bytesDropped });
        return;
      } catch (e) {
        last = e;
        if (!(e as { retryable?: unknown })?.retryable) break;
      }
    }
    if (active()) this.#finish(undefined, last, last);
  }

  /** Waits `ms` (any length: chained past setTimeout's 2^31-1 ms); `#finish`, `detach()` and the caller's signal end it early. */
  #backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#options.signal;
      let unlisten: (() => void) | undefined;
      const wake = () => {
        stop();
        unlisten?.();
        this.#wake = undefined;
        resolve();
      };
      const stop = startTimer(ms, wake);
      this.#wake = wake;
      if (signal?.aborted) wake();
      else if (signal) unlisten = listenToSignal(signal, wake);
    });
  }

  #detached(): AgentRuntimeError {
    return clientError(ClientErrorNames.aborted, `The shell was detached and keeps running: reattach with shellId ${this.shellId} and sessionId ${this.sessionId}`);
  }

  #finish(exit: ShellExit | undefined, exitError?: unknown, streamError?: unknown): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#dropInput();
    this.#wake?.();
    this.output.end(streamError);
    this.stderr.end(streamError);
    if (exit) this.#settle.resolve(exit);
    else this.#settle.reject(exitError);
  }

  write(data: string | Uint8Array): boolean {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw clientError(ClientErrorNames.invalidParameter, "write() takes a string or a Uint8Array", { fields: { field: "data" } });
    }
    if (this.#state !== "open" && this.#state !== "reconnecting") throw clientError(ClientErrorNames.webSocketClosed, "The shell is closed: nothing can be written");
    const encoded = typeof data === "string" ? encoder.encode(data) : undefined;
    if (this.#inputBytes + (encoded ?? (data as Uint8Array)).byteLength > MAX_WAITING_INPUT) {
      throw clientError(
        ClientErrorNames.invalidParameter,
        `write(): ${this.#inputBytes} bytes already wait to be sent and the shell holds at most ${MAX_WAITING_INPUT}; wait for drain() when write() returns false`,
        { fields: { field: "data" } },
      );
    }
    // a copy (of a Node Buffer too, whose own slice() is a view of the same memory)
    const bytes = encoded ?? new Uint8Array(data as Uint8Array);
    if (bytes.byteLength > 0) {
      this.#stdin.push(bytes);
      this.#inputBytes += bytes.byteLength;
      if (this.#flushTimer === undefined) this.#flush();
    }
    return this.#inputBytes < INPUT_HIGH_WATER;
  }

  get bufferedAmount(): number {
    return this.#inputBytes;
  }

  drain(): Promise<void> {
    if (this.#inputBytes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  resize(cols: number, rows: number): void {
    checkSize(cols, rows);
    this.#size = { cols, rows };
    if (this.#state !== "open") return;
    // the latest size only, when frames are short: a window being dragged sends no backlog of sizes
    this.#resizeDue = true;
    if (this.#flushTimer === undefined) this.#flush();
  }

  async detach(): Promise<void> {
    if (this.#state === "ended" || this.#state === "detached") return;
    this.#state = "detached";
    if (this.#reconnecting) {
      // between connections: done now. A reconnect waiting for its confirmation is closed, and so gives up
      this.#finish(undefined, this.#detached());
      this.#conn?.close(1000, "detach");
      return;
    }
    const conn = this.#conn!;
    this.output.release();
    // the input written so far reaches the shell first (the connection ending meanwhile ends this wait), for at
    // most the connection timeout: a peer that stopped reading must not hold detach() (heartbeats stop here)
    let stop: (() => void) | undefined;
    await Promise.race([this.drain(), new Promise<void>((resolve) => (stop = startTimer(this.#confirmTimeout, resolve)))]);
    stop?.();
    conn.close(1000, "detach");
    await conn.closed;
  }

  kill(): Promise<ShellExit> {
    if (this.#state === "open" || this.#state === "reconnecting") {
      const wasOpen = this.#state === "open";
      this.#state = "killing";
      this.#killRequested = true;
      this.output.release();
      // input not sent yet would only reach a shell being ended
      this.#dropInput();
      if (wasOpen) this.#send(frame(CLOSE));
    }
    return this.exit;
  }
}

/**
 * Opens (or reattaches) an interactive shell in the runtime session and resolves once the service confirmed it.
 * A drop (1001, 1006) reconnects with the same shellId (5 tries, 1 s → 15 s backoff, ±25% jitter; a drop within
 * 5 s of a reconnect goes on with its count); 1000, 1003 and 4000 (another client took the shell over) end it.
 * Upgrade failures are the HTTPS calls' typed errors.
 *
 * The package exports this through lazy.ts (its doc comment there is the public one: keep the two alike).
 */
export async function openShell(client: WebSocketConfig, input: OpenShellInput, options: OpenShellOptions = {}): Promise<ShellSession> {
  if (typeof input !== "object" || input === null) throw clientError(ClientErrorNames.invalidParameter, "The input must be an object with runtimeArn", { fields: { field: "input" } });
  const shellId = input.shellId ?? uuidv4();
  if (typeof shellId !== "string" || !SHELL_ID.test(shellId)) {
    throw clientError(ClientErrorNames.invalidParameter, "shellId must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$", { fields: { field: "shellId" } });
  }
  if (input.cols !== undefined || input.rows !== undefined) checkSize(input.cols ?? 80, input.rows ?? 24);
  const reconnect = options.reconnect;
  if (reconnect) {
    for (const key of ["maxAttempts", "baseDelayMs", "maxDelayMs", "minUptimeMs"] as const) {
      const v = reconnect[key];
      if (v !== undefined && (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v))) {
        throw clientError(ClientErrorNames.invalidParameter, `reconnect.${key} must be a non-negative number`, { fields: { field: `reconnect.${key}` } });
      }
    }
  }
  const sessionId = sessionIdFor(input);
  const shell = new Shell(client, input, shellId, sessionId, options);
  await shell.connect();
  shell.startHeartbeat();
  return shell;
}
