import type { Exchange } from "./exchange";
import { CANONICAL, SESSION_HEADER } from "./headers";
import { BodyTooLarge, readBody } from "./requestBody";
import type { SessionStore } from "./sessions";
import { ValidationFailure } from "./errors";
import { parseStopBody } from "./validation";

/** StopRuntimeSession: ends the session (its streams and commands with it); an unknown session is 404. */
export async function handleStop(ex: Exchange, sessions: SessionStore, releaseBody: () => void): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(ex.req, 64 * 1024);
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) return;
    ex.res.setHeader("Connection", "close");
    ex.sendValidation(ValidationFailure.field("clientToken", "Member must have length less than or equal to 256"));
    return;
  }
  releaseBody();
  parseStopBody(body);
  // validateHeaders already required the header.
  const sessionId = String(ex.req.headers[SESSION_HEADER]);
  ex.record.sessionId = sessionId;
  const session = sessions.get(sessionId);
  if (!session) {
    ex.sendError("ResourceNotFoundException", `Session not found: ${sessionId}`);
    return;
  }
  await sessions.end(session);
  ex.send(200, "", { [CANONICAL[SESSION_HEADER]]: sessionId });
}
