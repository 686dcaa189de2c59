import type { IncomingMessage } from "node:http";

/** Response headers a cross-origin page may read (the contract's response headers plus error details). */
export const EXPOSE_HEADERS = [
  "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "X-Amzn-Trace-Id",
  "traceparent",
  "tracestate",
  "baggage",
  "x-amzn-RequestId",
  "x-amzn-ErrorType",
  "Retry-After",
  "WWW-Authenticate",
  "Content-Type",
].join(", ");

export const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept",
  "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
  "X-Amzn-Bedrock-AgentCore-Runtime-User-Id",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "Mcp-Method",
  "Mcp-Name",
  "X-Amzn-Trace-Id",
  "traceparent",
  "tracestate",
  "baggage",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
  "x-amz-user-agent",
  "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault",
].join(", ");

/** Headers every response carries so a browser page on another origin can call and read it. */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return {
    "Access-Control-Allow-Origin": origin ?? "*",
    "Access-Control-Expose-Headers": EXPOSE_HEADERS,
    Vary: "Origin",
  };
}

export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  // Echoing the requested list also admits any X-Amzn-Bedrock-AgentCore-Runtime-Custom-* header.
  const requested = req.headers["access-control-request-headers"];
  const headers: Record<string, string> = {
    ...corsHeaders(req),
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": requested && requested.trim() ? requested : ALLOW_HEADERS,
    "Access-Control-Max-Age": "600",
    Vary: "Origin, Access-Control-Request-Headers",
  };
  // Chrome's private network access check for a public page calling a loopback server.
  if (req.headers["access-control-request-private-network"] === "true") {
    headers["Access-Control-Allow-Private-Network"] = "true";
  }
  return headers;
}
