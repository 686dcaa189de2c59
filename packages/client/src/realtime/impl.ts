// The real-time implementation behind the root entry's `getWebSocketConnection`, `connectWebSocket` and
// `openShell` (see lazy.ts). The Node builds put it in a file of its own (dist/realtime.js, dist/realtime.mjs),
// loaded on the first call, so importing the package does not parse it.
export { getWebSocketConnection, connectWebSocket } from "./webSocket";
export { openShell } from "./shell";
export { linkInternals } from "./internals";
