import type { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { RuntimeContext } from "../Command";
import type { RuntimeClientConfig } from "../config";
import { AgentRuntimeError, redact } from "../protocol/errors";

export const loggerMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "loggerMiddleware",
  priority: "low",
  override: true,
};

const SECRET_HEADERS = /^(authorization|cookie|proxy-authorization|x-amz-security-token)$/i;

function headersForLog(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) out[key] = SECRET_HEADERS.test(key) ? "[REDACTED]" : redact(value);
  return out;
}

function payloadForLog(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const text = typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body.subarray(0, 4096)) : undefined;
  return text === undefined ? undefined : redact(text.length > 4096 ? `${text.slice(0, 4096)}…` : text);
}

/**
 * One line per attempt sent and per response or failure, with timing, attempt number and request id.
 * Sits innermost in finalizeRequest, so it sees the request as sent, with the Authorization header redacted.
 */
export function loggerMiddleware(config: RuntimeClientConfig): FinalizeRequestMiddleware<any, any> {
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    const logger = context.logger;
    if (!logger) return next(args);
    const request = args.request as HttpRequest;
    const attempt = /attempt=(\d+)/.exec(request.headers["amz-sdk-request"] ?? "")?.[1] ?? "1";
    const started = Date.now();
    const target = `${request.method} ${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}`;
    const line = {
      command: context.commandName,
      attempt: Number(attempt),
      request: target,
      headers: headersForLog(request.headers),
      ...(config.logPayloads ? { payload: payloadForLog(request.body) } : {}),
    };
    logger.debug?.(`agentcore: → ${context.commandName} ${target} attempt ${attempt} ${JSON.stringify(line)}`);
    try {
      const result = await next(args);
      const meta = (result.output as { $metadata?: { httpStatusCode?: number; requestId?: string } })?.$metadata ?? {};
      logger.info?.(
        `agentcore: ← ${context.commandName} ${meta.httpStatusCode ?? "?"} in ${Date.now() - started} ms attempt ${attempt}${meta.requestId ? ` requestId ${meta.requestId}` : ""}`,
      );
      return result;
    } catch (e) {
      const error = e as AgentRuntimeError;
      const status = error?.statusCode !== undefined ? ` ${error.statusCode}` : "";
      const level = AgentRuntimeError.isInstance(e) && error.retryable ? logger.warn : logger.error;
      (level ?? logger.error)?.(
        `agentcore: ✗ ${context.commandName}${status} ${error?.name ?? "Error"} in ${Date.now() - started} ms attempt ${attempt}${error?.requestId ? ` requestId ${error.requestId}` : ""}: ${redact(String(error?.message ?? e))}`,
      );
      throw e;
    }
  };
}
