import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeResponse } from "../protocol/transport";
import { RuntimeCommand, type RuntimeContext } from "../Command";
import { readAll } from "../protocol/body";
import { utf8Bytes } from "../protocol/bytes";
import { uuidv4 } from "../protocol/uuid";
import { checkClientToken, LIMITS } from "../protocol/validate";
import { buildRequest, responseHeaders, sessionIdFor, throwIfError, type RuntimeTarget } from "./serde";
import type { OutputMetadata } from "../protocol/errors";

/** Input of `StopSessionCommand`: the runtime and the session to stop. */
export interface StopSessionCommandInput extends RuntimeTarget {
  /** The session to stop (required). */
  sessionId: string;
  /** Idempotency token, 33–256 characters; a UUID is generated when absent and kept across retries. */
  clientToken?: string | undefined;
}

/** Output of `StopSessionCommand`. */
export interface StopSessionCommandOutput {
  /** The HTTP status of the response. */
  statusCode: number;
  /** The session stopped (the response's session header, else the session id sent). */
  sessionId: string;
  /** HTTP status, request id, attempts and total retry delay of the call. */
  $metadata: OutputMetadata;
}

/** Stops a runtime session, ending its running streams and commands. */
export class StopSessionCommand extends RuntimeCommand<StopSessionCommandInput, StopSessionCommandOutput> {
  readonly commandName = "StopSessionCommand";
  readonly operation = "stop" as const;

  async serialize(input: StopSessionCommandInput, context: RuntimeContext): Promise<HttpRequest> {
    const sessionId = sessionIdFor(input, true);
    const clientToken = input.clientToken === undefined ? uuidv4() : checkClientToken(input.clientToken);
    const body = utf8Bytes(JSON.stringify({ clientToken }));
    return buildRequest(input, context, "stopruntimesession", {
      traceLimit: LIMITS.traceCommands,
      sessionId,
      headers: { "content-type": "application/json" },
      body,
    });
  }

  async deserialize(response: RuntimeResponse, context: RuntimeContext): Promise<StopSessionCommandOutput> {
    await throwIfError(response, context);
    await readAll(response.body);
    const head = responseHeaders(response, context);
    return { statusCode: head.statusCode, sessionId: head.sessionId, $metadata: head.$metadata };
  }
}
