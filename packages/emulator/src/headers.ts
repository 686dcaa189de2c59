/** Header names from the wire contract, lower-cased as node:http delivers them. */
export const SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id";
export const USER_ID_HEADER = "x-amzn-bedrock-agentcore-runtime-user-id";
export const CUSTOM_HEADER_PREFIX = "x-amzn-bedrock-agentcore-runtime-custom-";
export const FAULT_HEADER = "x-amzn-bedrock-agentcore-runtime-custom-emulator-fault";
export const MCP_SESSION_HEADER = "mcp-session-id";
export const MCP_PROTOCOL_HEADER = "mcp-protocol-version";
export const TRACE_HEADERS = ["x-amzn-trace-id", "traceparent", "tracestate", "baggage"] as const;

/** Request headers echoed on invocation responses when the caller sent them. */
export const INVOKE_ECHO_HEADERS = [MCP_SESSION_HEADER, MCP_PROTOCOL_HEADER, ...TRACE_HEADERS] as const;
export const COMMAND_ECHO_HEADERS = [...TRACE_HEADERS] as const;

/** Canonical spellings for response headers (node:http keeps the case we write). */
export const CANONICAL: Record<string, string> = {
  [SESSION_HEADER]: "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
  [MCP_SESSION_HEADER]: "Mcp-Session-Id",
  [MCP_PROTOCOL_HEADER]: "Mcp-Protocol-Version",
  "x-amzn-trace-id": "X-Amzn-Trace-Id",
  traceparent: "traceparent",
  tracestate: "tracestate",
  baggage: "baggage",
};
