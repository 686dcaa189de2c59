// Browsers: the real-time functions as they are, no import() (see lazy.ts); an application's bundler keeps them
// only when it uses them.
export { getWebSocketConnection, connectWebSocket } from "./webSocket";
export { openShell } from "./shell";
