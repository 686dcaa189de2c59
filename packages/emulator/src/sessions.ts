import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { longTimeout, type LongTimeout } from "./timers";

export class Session {
  readonly createdAt = Date.now();
  /** Names this session (not its id, which the client chose) in process markers. */
  readonly tag = randomUUID();
  ended = false;
  /** Requests using the session; the idle clock runs only while this is zero. */
  active = 0;
  /** Each running request's stop switch, fired when the session ends. */
  readonly streams = new Set<() => void>();
  idleTimer?: LongTimeout;
  /** When a WebSocket frame last went either way (`touch`): the idle clock counts from the later of this and the last release. */
  touchedAt = 0;
  lifetimeTimer?: LongTimeout;
  dir?: Promise<string>;

  constructor(readonly id: string) {}
}

/** A new session was refused: `maxSessions` live sessions exist already. */
export class SessionLimitExceeded extends Error {
  override name = "SessionLimitExceeded";
  constructor(readonly limit: number) {
    super(`Too many sessions: the emulator keeps at most ${limit} live sessions (maxSessions, --max-sessions); stop one or wait for one to idle out`);
  }
}

export interface SessionStoreOptions {
  idleMs: number;
  maxLifetimeMs: number;
  /** Most live sessions at once; creating one more throws SessionLimitExceeded. */
  maxSessions: number;
  /** Parent folder of the emulator's private folder, which holds the sessions' working directories. */
  baseDir: string;
  /** Extra work when a session ends (exec: kill what its commands left behind); awaited by closeAll. */
  onEnd?: (session: Session) => Promise<unknown>;
}

/** Private to the emulator's user: no one else may list, read or enter it. */
const PRIVATE = 0o700;

/** Sessions created on first use and ended by stop, idle timeout, max lifetime or close. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly cleanups = new Set<Promise<void>>();
  /** `<baseDir>/agentcore-emulator-*`, created on first use: every session folder is inside it. */
  private root?: Promise<string>;

  constructor(private readonly options: SessionStoreOptions) {}

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /**
   * The live session with this id (created when absent), marked busy until `release`. Throws
   * SessionLimitExceeded when it would be new and `maxSessions` are live.
   */
  acquire(id: string): Session {
    let session = this.sessions.get(id);
    if (!session) {
      if (this.sessions.size >= this.options.maxSessions) throw new SessionLimitExceeded(this.options.maxSessions);
      session = new Session(id);
      const created = session;
      created.lifetimeTimer = longTimeout(() => void this.end(created), this.options.maxLifetimeMs).unref();
      this.sessions.set(id, created);
    }
    session.active++;
    session.idleTimer?.clear();
    session.idleTimer = undefined;
    return session;
  }

  release(session: Session): void {
    session.active = Math.max(0, session.active - 1);
    if (session.ended || session.active > 0) return;
    this.idleAfter(session, this.options.idleMs);
  }

  /**
   * A frame on one of the session's WebSockets: as on the service, any frame restarts the idle clock, and a
   * socket that stays silent lets the session idle out (which closes it). Cheap per frame: the timer, when it
   * fires, waits on for what is left since the last touch.
   */
  touch(session: Session): void {
    session.touchedAt = Date.now();
  }

  private idleAfter(session: Session, ms: number): void {
    session.idleTimer?.clear();
    session.idleTimer = longTimeout(() => {
      const left = session.touchedAt + this.options.idleMs - Date.now();
      if (session.active > 0) return;
      if (left > 0) this.idleAfter(session, left);
      else void this.end(session);
    }, ms).unref();
  }

  /** Registers a running request's stop switch; returns its removal. */
  track(session: Session, stop: () => void): () => void {
    session.streams.add(stop);
    return () => session.streams.delete(stop);
  }

  /**
   * The session's working directory (mode 0700, inside the emulator's own 0700 folder), created on first use
   * and removed when the session ends. A working directory, not isolation: commands run as the emulator's user.
   */
  workDir(session: Session): Promise<string> {
    session.dir ??= this.rootDir()
      .then(async (root) => {
        const path = await mkdtemp(join(root, "agentcore-emulator-session-"));
        await chmod(path, PRIVATE);
        return path;
      })
      .then(async (path) => {
        // The session ended while the folder was being made: end() could not see it, so remove it here.
        if (!session.ended) return path;
        await rm(path, { recursive: true, force: true });
        throw new Error("Session ended");
      });
    return session.dir;
  }

  private rootDir(): Promise<string> {
    this.root ??= mkdtemp(join(this.options.baseDir, "agentcore-emulator-")).then(async (path) => {
      await chmod(path, PRIVATE);
      return path;
    });
    // A failure (baseDir missing) is not remembered: the next session tries again.
    this.root.catch(() => (this.root = undefined));
    return this.root;
  }

  /** Ends the session: running streams stop, commands are killed, its files are removed. */
  end(session: Session): Promise<void> {
    if (!this.stop(session)) return Promise.resolve();
    const dir = session.dir;
    const hook = this.options.onEnd;
    if (!dir && !hook) return Promise.resolve();
    const cleanup = Promise.all([
      dir?.then((path) => rm(path, { recursive: true, force: true, maxRetries: 3 })),
      hook?.(session),
    ])
      .then(() => undefined, () => undefined)
      .finally(() => this.cleanups.delete(cleanup));
    this.cleanups.add(cleanup);
    return cleanup;
  }

  /** Marks the session ended and stops its streams; false when it had ended already. */
  private stop(session: Session): boolean {
    if (session.ended) return false;
    session.ended = true;
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    session.idleTimer?.clear();
    session.lifetimeTimer?.clear();
    for (const stop of [...session.streams]) stop();
    session.streams.clear();
    return true;
  }

  /**
   * Ends every session at once, however many: streams stop, but the per-session cleanup (a /proc scan and a
   * folder removal each) is left to the caller's single sweep and `removeFolders`. Waits up to `waitMs` for
   * cleanups of sessions that ended earlier.
   */
  async closeAll(waitMs: number): Promise<void> {
    for (const session of [...this.sessions.values()]) this.stop(session);
    if (this.cleanups.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = longTimeout(resolve, waitMs);
      void Promise.all([...this.cleanups]).then(() => {
        timer.clear();
        resolve();
      });
    });
  }

  /** Removes the emulator's folder with every session folder in it (after closeAll and the process sweep). */
  async removeFolders(): Promise<void> {
    const root = await this.root?.catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}
