import { CANONICAL, SESSION_HEADER } from "./headers";
import type { ParsedRequest } from "./pipeline";
import type { SessionStore } from "./sessions";

/** StopRuntimeSession: ends the session (its streams, commands and sockets with it); an unknown session is 404. */
export async function handleStop(req: ParsedRequest, sessions: SessionStore): Promise<void> {
  const { ex, sessionId } = req;
  const session = sessions.get(sessionId);
  if (!session) {
    ex.sendError("ResourceNotFoundException", `Session not found: ${sessionId}`);
    return;
  }
  await sessions.end(session);
  ex.send(200, "", { [CANONICAL[SESSION_HEADER]]: sessionId });
}
