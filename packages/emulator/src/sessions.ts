import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";

export class Session {
  readonly createdAt = Date.now();
  /** Names this session (not its id, which the client chose) in process markers. */
  readonly tag = randomUUID();
  ended = false;
  /** Requests using the session; the idle clock runs only while this is zero. */
  active = 0;
  /** Each running request's stop switch, fired when the session ends. */
  readonly streams = new Set<() => void>();
  idleTimer?: NodeJS.Timeout;
  lifetimeTimer?: NodeJS.Timeout;
  dir?: Promise<string>;

  constructor(readonly id: string) {}
}

export interface SessionStoreOptions {
  idleMs: number;
  maxLifetimeMs: number;
  /** Parent folder for working directories. */
  baseDir: string;
  /** Extra work when a session ends (exec: kill what its commands left behind); awaited by closeAll. */
  onEnd?: (session: Session) => Promise<unknown>;
}

/** Sessions created on first use and ended by stop, idle timeout, max lifetime or close. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly options: SessionStoreOptions) {}

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** The live session with this id (created when absent), marked busy until `release`. */
  acquire(id: string): Session {
    let session = this.sessions.get(id);
    if (!session) {
      session = new Session(id);
      const created = session;
      created.lifetimeTimer = setTimeout(() => void this.end(created), this.options.maxLifetimeMs);
      created.lifetimeTimer.unref();
      this.sessions.set(id, created);
    }
    session.active++;
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    return session;
  }

  release(session: Session): void {
    session.active = Math.max(0, session.active - 1);
    if (session.ended || session.active > 0) return;
    session.idleTimer = setTimeout(() => void this.end(session), this.options.idleMs);
    session.idleTimer.unref();
  }

  /** Registers a running request's stop switch; returns its removal. */
  track(session: Session, stop: () => void): () => void {
    session.streams.add(stop);
    return () => session.streams.delete(stop);
  }

  /** The session's working directory, created on first use and removed when the session ends. */
  workDir(session: Session): Promise<string> {
    session.dir ??= mkdtemp(join(this.options.baseDir, "agentcore-emulator-session-")).then(async (path) => {
      // The session ended while the folder was being made: end() could not see it, so remove it here.
      if (!session.ended) return path;
      await rm(path, { recursive: true, force: true });
      throw new Error("Session ended");
    });
    return session.dir;
  }

  /** Ends the session: running streams stop, commands are killed, its files are removed. */
  end(session: Session): Promise<void> {
    if (session.ended) return Promise.resolve();
    session.ended = true;
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    clearTimeout(session.idleTimer);
    clearTimeout(session.lifetimeTimer);
    for (const stop of [...session.streams]) stop();
    session.streams.clear();
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

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.end(s)));
    await Promise.all([...this.cleanups]);
  }
}
