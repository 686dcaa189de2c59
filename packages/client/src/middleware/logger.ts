import type { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { Logger, ResolvedConfig, RuntimeClientConfig, RuntimeContext } from "../types";
import { AgentRuntimeError } from "../protocol/errors";
import { utf8Text } from "../protocol/bytes";
import { callSecrets, clipText, redact } from "../protocol/redact";

/** Where `loggerMiddleware` sits: finalizeRequest, low priority, so it logs each attempt as sent. */
export const loggerMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "loggerMiddleware",
  priority: "low",
  override: true,
};

const SECRET_HEADERS = /^(authorization|cookie|proxy-authorization|x-amz-security-token)$/i;
const PAYLOAD_LIMIT = 4096;

/**
 * Pattern redaction plus the exact credentials of this attempt and call, which may be opaque (not JWT-shaped):
 * the bearer token it carries, and what an auth middleware inside this one shared (SigV4) when the line is made.
 */
function scrubber(request: HttpRequest, context: object): (text: string) => string {
  const auth = Object.entries(request.headers).find(([key]) => /^authorization$/i.test(key))?.[1];
  const secret = auth?.replace(/^\s*bearer\s+/i, "").trim();
  return (text) => redact(text, [secret, ...callSecrets(context)]);
}

// cut where a token it would split stays whole (see clipText), so the line's redaction still finds it
const clip = (text: string): string => clipText(text, PAYLOAD_LIMIT);

function requestPayload(body: unknown): string | undefined {
  if (typeof body === "string") return clip(body);
  if (body instanceof Uint8Array) return clip(utf8Text(body.subarray(0, PAYLOAD_LIMIT + 4096 + 4)));
  return undefined;
}

/** What a buffered output carries; a stream is never read by the logger. */
function responsePayload(output: unknown): string | undefined {
  const o = output as { text?: unknown; stdout?: unknown; stderr?: unknown; stream?: unknown } | undefined;
  if (!o || o.stream !== undefined) return undefined;
  if (typeof o.stdout === "string") return clip(JSON.stringify({ stdout: o.stdout, stderr: o.stderr }));
  if (typeof o.text === "string") return clip(o.text);
  return undefined;
}

/** Calls a level as a method (pino's methods need their `this`), falling back to `error` and then nothing. */
function log(logger: Logger, level: keyof Logger, line: string): void {
  if (typeof logger[level] === "function") logger[level]!(line);
  else if (level !== "debug" && typeof logger.error === "function") logger.error(line);
}

/**
 * One line per attempt sent (debug) and per response (info) or failure (warn when retryable, else error), with
 * timing, attempt number and request id. Innermost in finalizeRequest, so it sees each attempt as sent; the
 * Authorization header and anything token-shaped are redacted, and payloads appear only with `logPayloads`.
 */
export function loggerMiddleware(config: RuntimeClientConfig | ResolvedConfig): FinalizeRequestMiddleware<any, any> {
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    const logger = context.logger;
    if (!logger) return next(args);
    const request = args.request as HttpRequest;
    const scrub = scrubber(request, context);
    const attempt = /attempt=(\d+)/.exec(request.headers["amz-sdk-request"] ?? "")?.[1] ?? "1";
    const started = Date.now();
    const target = `${request.method} ${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}`;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers)) headers[key] = SECRET_HEADERS.test(key) ? "[REDACTED]" : value;
    const sent: Record<string, unknown> = { headers };
    if (config.logPayloads) sent.payload = requestPayload(request.body);
    log(logger, "debug", scrub(`agentcore: → ${context.commandName} ${target} attempt ${attempt} ${JSON.stringify(sent)}`));
    try {
      const result = await next(args);
      const meta = (result.output as { $metadata?: { httpStatusCode?: number; requestId?: string } })?.$metadata ?? {};
      const payload = config.logPayloads ? responsePayload(result.output) : undefined;
      log(
        logger,
        "info",
        scrub(
          `agentcore: ← ${context.commandName} ${meta.httpStatusCode ?? "?"} in ${Date.now() - started} ms attempt ${attempt}` +
            `${meta.requestId ? ` requestId ${meta.requestId}` : ""}${payload !== undefined ? ` payload ${JSON.stringify(payload)}` : ""}`,
        ),
      );
      const stream = (result.output as { stream?: { onClose?(fn: () => void): void } } | undefined)?.stream;
      stream?.onClose?.(() => log(logger, "debug", scrub(`agentcore: ${context.commandName} stream closed ${Date.now() - started} ms after attempt ${attempt} was sent`)));
      return result;
    } catch (e) {
      const error = e as AgentRuntimeError;
      const status = error?.statusCode !== undefined ? ` ${error.statusCode}` : "";
      const level = AgentRuntimeError.isInstance(e) && error.retryable ? "warn" : "error";
      log(
        logger,
        level,
        scrub(
          `agentcore: ✗ ${context.commandName}${status} ${error?.name ?? "Error"} in ${Date.now() - started} ms attempt ${attempt}` +
            `${error?.requestId ? ` requestId ${error.requestId}` : ""}: ${String(error?.message ?? e)}`,
        ),
      );
      throw e;
    }
  };
}
