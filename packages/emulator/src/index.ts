/**
 * A local AgentCore Runtime data-plane emulator: a real HTTP server with JWT (or SigV4) auth, SSE and AWS
 * event-stream responses, WebSockets and shells, and scriptable faults for tests.
 *
 * @module @agentcore-runtime/emulator
 */

export { startEmulator } from "./server";
export { defaultAgent } from "./agent";
export { parseFault, FAULT_MODES } from "./faults";
export { DEFAULT_CLIENT_ID } from "./auth";
export type {
  AgentContext,
  AgentHandler,
  AuthOptions,
  Emulator,
  EmulatorOptions,
  FaultMode,
  FaultSpec,
  IssueTokenOptions,
  LogSink,
  Operation,
  RecordedRequest,
  SigV4TestCredentials,
  WebSocketConnection,
  WebSocketContext,
  WebSocketHandler,
  WebSocketMessage,
} from "./types";
