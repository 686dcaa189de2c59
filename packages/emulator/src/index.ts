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
