import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, readlink } from "node:fs/promises";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import { commandEnv } from "./execEnv";
import { RUN_MARKER, killMarked } from "./procSweep";
import type { Session, SessionStore } from "./sessions";
import { sleep } from "./util";
import type { WsConnection } from "./wsConnection";

/** Channel bytes of `/ws/shells` frames (PROTOCOL.md, Interactive shells). */
export const STDIN = 0x00;
export const STDOUT = 0x01;
export const STDERR = 0x02;
export const STATUS = 0x03;
export const RESIZE = 0x04;
export const HEARTBEAT = 0x05;
export const CLOSE = 0xff;

export const SHELL_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/;
/** Largest output frame sent (the service accepts 64 KB, clients are told to send at most 32 KB). */
const MAX_OUT_FRAME = 32 * 1024;
/** Text frames in a row that close the connection with 1003. */
const MAX_TEXT_FRAMES = 5;

export interface ShellExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What runs behind a shell: a real bash on a pseudo-terminal (exec) or the scripted stand-in. */
export interface ShellProcess {
  write(data: Uint8Array): void;
  resize(cols: number, rows: number): Promise<void>;
  kill(): void;
  readonly exited: Promise<ShellExit>;
}

export interface ShellHooks {
  output(data: Buffer): void;
  diagnostic(text: string): void;
}

/**
 * `bash -i` (without rc files) on a pseudo-terminal made by util-linux `script` (no native module): `script -qfec
 * "bash --noprofile --norc -i" /dev/null` allocates the pty, runs bash on its slave side in a new session and copies the master to its
 * stdout (the pty merges stderr into it) and its stdin to the master. Resizing writes nothing to the terminal:
 * the emulator finds bash (the child of `script`, via /proc/<pid>/task/<pid>/children), reads which
 * `/dev/pts/N` its fd 0 is, and runs `stty -F /dev/pts/N cols C rows R`; the TIOCSWINSZ that stty issues makes
 * the kernel send SIGWINCH to the terminal's foreground process group, as a terminal emulator's resize does.
 */
export class PtyShell implements ShellProcess {
  readonly exited: Promise<ShellExit>;
  private readonly child;
  private pty?: Promise<{ pid: number; tty: string } | undefined>;
  private resizing: Promise<void> = Promise.resolve();
  private done = false;

  constructor(
    cwd: string,
    env: Record<string, string>,
    private readonly processTag: string,
    hooks: ShellHooks,
  ) {
    // no rc files: the host's ~/.bashrc is not the agent container's, and a slow or locking one (pyenv's rehash
    // waits up to 60 s on a stale lock) would stall every shell; a container's shell starts clean too
    this.child = spawn("script", ["-qfec", "bash --noprofile --norc -i", "/dev/null"], {
      cwd,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...env, TERM: "xterm-256color", [RUN_MARKER]: processTag },
    });
    this.child.stdout!.on("data", (chunk: Buffer) => hooks.output(chunk));
    const decoder = new StringDecoder("utf8");
    this.child.stderr!.on("data", (chunk: Buffer) => hooks.diagnostic(decoder.write(chunk)));
    this.child.stdin!.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once("error", (err) => {
        hooks.diagnostic(`Shell could not be started: ${err.message}\n`);
        this.done = true;
        resolve({ code: null, signal: null });
      });
      // 'close': the child exited and its output pipes are drained, so no output is lost after the exit status.
      this.child.once("close", (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
    void this.resize(80, 24);
  }

  write(data: Uint8Array): void {
    if (!this.done) this.child.stdin!.write(data);
  }

  resize(cols: number, rows: number): Promise<void> {
    this.resizing = this.resizing.then(async () => {
      const pty = await this.findPty();
      if (!pty || this.done) return;
      await new Promise<void>((resolve) =>
        execFile("stty", ["-F", pty.tty, "cols", String(cols), "rows", String(rows)], { timeout: 5000 }, () => resolve()),
      );
    });
    return this.resizing;
  }

  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    void this.pty?.then((pty) => pty && tryKill(pty.pid));
    tryKill(-pid);
    void killMarked(this.processTag);
  }

  /** bash and its terminal, found once: polled for up to 2 s while `script` starts it. */
  private findPty(): Promise<{ pid: number; tty: string } | undefined> {
    this.pty ??= (async () => {
      const pid = this.child.pid;
      for (let i = 0; i < 100 && pid !== undefined && !this.done; i++) {
        try {
          const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean);
          if (children.length > 0) {
            const bash = Number(children[0]);
            const tty = await readlink(`/proc/${bash}/fd/0`);
            if (tty.startsWith("/dev/pts/")) return { pid: bash, tty };
          }
        } catch {
          // Not there yet (or no /proc): try again.
        }
        await sleep(20);
      }
      return undefined;
    })();
    return this.pty;
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/**
 * Longest stdin line a scripted shell keeps, like a terminal's line buffer (Linux's holds 4095 characters and the
 * newline): input that never ends a line cannot grow the emulator's memory.
 */
const MAX_LINE = 4096;
/** What a scripted shell's line reacts to: CR and LF end it, DEL and backspace erase, Ctrl-C clears it. */
const LINE_CONTROLS = /[\r\n\x7f\b\x03]/g;

/**
 * The shell without `--exec`: nothing runs. It echoes each stdin line back as output (CRLF, as a terminal
 * would), answers `stty size` with the size last set by RESIZE, and ends on `exit [N]` with that code.
 */
export class ScriptedShell implements ShellProcess {
  readonly exited: Promise<ShellExit>;
  private finish!: (exit: ShellExit) => void;
  private readonly decoder = new StringDecoder("utf8");
  private line = "";
  private cols = 80;
  private rows = 24;
  private done = false;

  constructor(private readonly hooks: ShellHooks) {
    this.exited = new Promise((resolve) => (this.finish = resolve));
  }

  write(data: Uint8Array): void {
    if (this.done) return;
    const text = this.decoder.write(Buffer.from(data));
    // the text between control characters is added as one slice, not a character at a time
    let start = 0;
    for (const match of text.matchAll(LINE_CONTROLS)) {
      const at = match.index!;
      this.type(text.slice(start, at));
      start = at + 1;
      const ch = match[0];
      if (ch === "\r" || ch === "\n") this.runLine();
      else if (ch === "\x03") {
        this.line = "";
        this.hooks.output(Buffer.from("^C\r\n"));
      } else this.line = this.line.slice(0, -1);
      if (this.done) return;
    }
    this.type(text.slice(start));
  }

  async resize(cols: number, rows: number): Promise<void> {
    this.cols = cols;
    this.rows = rows;
  }

  kill(): void {
    this.end({ code: null, signal: "SIGKILL" });
  }

  /** Adds typed text to the line up to MAX_LINE characters; the rest is dropped, as a full terminal line buffer drops it. */
  private type(text: string): void {
    const room = MAX_LINE - this.line.length;
    if (room <= 0 || !text) return;
    // (cut before a lone high surrogate, so the line never ends in half a character)
    this.line += text.length <= room ? text : text.slice(0, room).replace(/[\ud800-\udbff]$/, "");
  }

  private runLine(): void {
    const line = this.line.trim();
    this.line = "";
    if (!line) return;
    const exit = /^exit(?:\s+(-?\d+))?$/.exec(line);
    if (exit) return this.end({ code: exit[1] === undefined ? 0 : ((Number(exit[1]) % 256) + 256) % 256, signal: null });
    if (line === "stty size") return this.hooks.output(Buffer.from(`${this.rows} ${this.cols}\r\n`));
    this.hooks.output(Buffer.from(`${line}\r\n`));
  }

  private end(exit: ShellExit): void {
    if (this.done) return;
    this.done = true;
    this.finish(exit);
  }
}

/** STATUS payloads (PROTOCOL.md). */
export function statusFrame(body: object): Buffer {
  return Buffer.concat([Buffer.from([STATUS]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", ...body }))]);
}

export function exitStatus(shellId: string, exit: ShellExit): object {
  const metadata = { shellId };
  if (exit.code === 0 && !exit.signal) return { metadata, status: "Success" };
  if (exit.code === null && exit.signal === null) {
    return { metadata, status: "Failure", reason: "InternalError", code: 500, message: "The shell could not be started" };
  }
  const causes: { reason: string; message: string }[] = [];
  if (exit.signal) {
    causes.push({ reason: "ExitCode", message: String(128 + (constants.signals[exit.signal] ?? 0)) });
    causes.push({ reason: "Signal", message: exit.signal });
  } else {
    causes.push({ reason: "ExitCode", message: String(exit.code) });
  }
  return { metadata, status: "Failure", reason: "NonZeroExitCode", details: { causes } };
}

function frame(channel: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

export interface ShellOptions {
  exec: boolean;
  runTag: string;
  passEnv: readonly string[];
  sessions: SessionStore;
  maxShellsPerSession: number;
  replayBytes: number;
}

/**
 * One shell of a session: its process, the last `replayBytes` of its output (replayed on reconnect) and the
 * client attached to it, if any. It outlives its clients (detached shells keep running and count toward the
 * session's cap) and ends when its process exits, a client sends CLOSE (0xFF), or the session ends.
 */
export class Shell {
  private readonly ring: Buffer[] = [];
  private ringBytes = 0;
  private totalBytes = 0;
  private client?: WsConnection;
  private ended = false;
  private untrack?: () => void;
  readonly process: ShellProcess;

  constructor(
    readonly id: string,
    session: Session,
    private readonly registry: Map<string, Shell>,
    private readonly options: ShellOptions,
    cwd: string | undefined,
  ) {
    const hooks: ShellHooks = {
      output: (data) => this.output(data),
      diagnostic: (text) => {
        if (text && this.client) void this.client.send(frame(STDERR, Buffer.from(text)));
      },
    };
    this.process = options.exec
      ? new PtyShell(cwd!, commandEnv(process.env, options.passEnv), `${options.runTag}.${session.tag}.${randomUUID()}`, hooks)
      : new ScriptedShell(hooks);
    registry.set(id, this);
    this.untrack = options.sessions.track(session, () => this.end(1000, "Session ended"));
    void this.process.exited.then((exit) => {
      const client = this.client;
      if (client && !this.ended) {
        void client.send(statusFrame(exitStatus(this.id, exit)));
        client.close(exit.code === null && exit.signal === null ? 1011 : 1000, "Shell exited");
      }
      this.forget();
    });
  }

  /** Attaches a client: a previous one is closed with 4000; STATUS first, then (on reconnect) the replay. */
  attach(conn: WsConnection, reconnected: boolean): void {
    const previous = this.client;
    this.client = conn;
    if (previous && previous !== conn) previous.close(4000, "Another client attached to this shell");
    const metadata: Record<string, unknown> = { shellId: this.id, reconnected };
    const dropped = this.totalBytes - this.ringBytes;
    if (reconnected && dropped > 0) metadata.bytesDropped = dropped;
    void conn.send(statusFrame({ metadata, status: "Success" }));
    if (reconnected) for (const piece of this.ring) this.sendOutput(conn, piece);
    void this.serve(conn);
  }

  /** Kills the shell and closes its client (0xFF, session end). */
  end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.process.kill();
    this.client?.close(code, reason);
    this.client = undefined;
    this.forget();
  }

  private forget(): void {
    this.ended = true;
    if (this.registry.get(this.id) === this) this.registry.delete(this.id);
    this.untrack?.();
    this.untrack = undefined;
  }

  private output(data: Buffer): void {
    this.totalBytes += data.byteLength;
    this.ring.push(data);
    this.ringBytes += data.byteLength;
    while (this.ringBytes > this.options.replayBytes) {
      const first = this.ring[0]!;
      const excess = this.ringBytes - this.options.replayBytes;
      if (first.byteLength <= excess) {
        this.ring.shift();
        this.ringBytes -= first.byteLength;
      } else {
        this.ring[0] = first.subarray(excess);
        this.ringBytes -= excess;
      }
    }
    if (this.client) this.sendOutput(this.client, data);
  }

  private sendOutput(conn: WsConnection, data: Buffer): void {
    for (let at = 0; at < data.byteLength; at += MAX_OUT_FRAME) void conn.send(frame(STDOUT, data.subarray(at, at + MAX_OUT_FRAME)));
  }

  /** Reads one client's frames until it closes or another client takes over. */
  private async serve(conn: WsConnection): Promise<void> {
    let texts = 0;
    for await (const message of conn) {
      if (this.client !== conn) break;
      if (message.type === "text") {
        if (++texts >= MAX_TEXT_FRAMES) {
          conn.close(1003, "Binary frames only: text frames are not accepted");
          break;
        }
        continue;
      }
      texts = 0;
      const data = message.data;
      if (data.byteLength === 0) continue;
      const payload = data.subarray(1);
      switch (data[0]) {
        case STDIN:
          this.process.write(payload);
          break;
        case RESIZE: {
          const size = parseResize(payload);
          if (size) await this.process.resize(size.width, size.height);
          else void conn.send(frame(STDERR, Buffer.from('RESIZE needs {"width": 1-1000, "height": 1-1000}\n')));
          break;
        }
        case HEARTBEAT:
          void conn.send(Buffer.from(data));
          break;
        case CLOSE:
          await conn.send(Buffer.from([CLOSE]));
          this.end(1000, "Shell closed");
          return;
        default:
          void conn.send(frame(STDERR, Buffer.from(`Unknown channel 0x${data[0]!.toString(16).padStart(2, "0")} ignored\n`)));
      }
    }
    // The client left (or was replaced): the shell keeps running, detached.
    if (this.client === conn) this.client = undefined;
  }
}

function parseResize(payload: Uint8Array): { width: number; height: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return undefined;
  }
  const { width, height } = (value ?? {}) as Record<string, unknown>;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 1000;
  return ok(width) && ok(height) ? { width, height } : undefined;
}

/** The shells of each session, by shellId. */
export class ShellRegistry {
  private readonly bySession = new WeakMap<Session, Map<string, Shell>>();

  constructor(readonly options: ShellOptions) {}

  of(session: Session): Map<string, Shell> {
    let shells = this.bySession.get(session);
    if (!shells) this.bySession.set(session, (shells = new Map()));
    return shells;
  }

  /** False when a new shell would pass the session's cap (detached shells count). */
  hasRoom(session: Session, shellId: string): boolean {
    const shells = this.of(session);
    return shells.has(shellId) || shells.size < this.options.maxShellsPerSession;
  }

  /** Attaches `conn` to the session's shell `shellId`, starting the shell when it does not exist. */
  async open(session: Session, shellId: string, conn: WsConnection): Promise<void> {
    const shells = this.of(session);
    const existing = shells.get(shellId);
    if (existing) return existing.attach(conn, true);
    let cwd: string | undefined;
    if (this.options.exec) {
      try {
        cwd = await this.options.sessions.workDir(session);
      } catch {
        void conn.send(statusFrame({ metadata: { shellId }, status: "Failure", reason: "InternalError", code: 500 }));
        return conn.close(1011, "Shell could not be started");
      }
    }
    if (!conn.isOpen) return;
    // Another upgrade for the same id may have started it meanwhile.
    const raced = shells.get(shellId);
    if (raced) return raced.attach(conn, true);
    new Shell(shellId, session, shells, this.options, cwd).attach(conn, false);
  }
}
