import { ValidationFailure } from "./errors";
import { CANONICAL, SESSION_HEADER } from "./headers";
import type { ParsedRequest } from "./pipeline";
import type { SessionStore } from "./sessions";

/** How long a stop's `clientToken` is remembered, and how many at most (the oldest go first). */
const TOKEN_TTL_MS = 10 * 60_000;
const MAX_TOKENS = 10_000;

/**
 * The `clientToken`s of stops that succeeded, with their session: `clientToken` is the operation's idempotency
 * token, and the SDKs send the same one on every retry. A retry of a stop that ended its session (its response
 * lost) gets the same 200, not a 404; the same token for another session is a 400 IdempotentParameterMismatch.
 */
export class StopLedger {
  readonly #stops = new Map<string, { sessionId: string; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The session a token stopped within the last TOKEN_TTL_MS, if any. */
  sessionOf(clientToken: string): string | undefined {
    const stop = this.#stops.get(clientToken);
    if (stop === undefined) return undefined;
    if (this.now() - stop.at <= TOKEN_TTL_MS) return stop.sessionId;
    this.#stops.delete(clientToken);
    return undefined;
  }

  record(clientToken: string, sessionId: string): void {
    this.#stops.delete(clientToken);
    this.#stops.set(clientToken, { sessionId, at: this.now() });
    // a Map iterates in insertion order: the first entries are the oldest
    for (const [token, stop] of this.#stops) {
      if (this.#stops.size <= MAX_TOKENS && this.now() - stop.at <= TOKEN_TTL_MS) break;
      this.#stops.delete(token);
    }
  }
}

/**
 * StopRuntimeSession: ends the session (its streams, commands and sockets with it); an unknown session is 404.
 * A repeated `clientToken` answers as the first stop did (see StopLedger).
 */
export async function handleStop(req: ParsedRequest<{ clientToken?: string }>, sessions: SessionStore, ledger: StopLedger): Promise<void> {
  const { ex, sessionId } = req;
  const { clientToken } = req.input;
  const stopped = clientToken === undefined ? undefined : ledger.sessionOf(clientToken);
  if (stopped !== undefined) {
    if (stopped === sessionId) ex.send(200, "", { [CANONICAL[SESSION_HEADER]]: sessionId });
    else ex.sendValidation(new ValidationFailure("The clientToken was already used to stop another session", "IdempotentParameterMismatchException"));
    return;
  }
  const session = sessions.get(sessionId);
  if (!session) {
    ex.sendError("ResourceNotFoundException", `Session not found: ${sessionId}`);
    return;
  }
  // recorded before the clean-up is awaited: a retry that comes while the folder is being removed is answered too
  if (clientToken !== undefined) ledger.record(clientToken, sessionId);
  await sessions.end(session);
  ex.send(200, "", { [CANONICAL[SESSION_HEADER]]: sessionId });
}
