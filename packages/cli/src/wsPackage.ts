import type { ConnectWebSocketOptions } from "@agentcore-runtime/client";

/**
 * The CLI's own `ws` (a dependency of this package), handed to the client for `ws` and `shell`. The client would
 * otherwise load `ws` from its own folder, which does not reach this package's when an install puts the client
 * beside the CLI rather than inside it (a global install from tarballs, a project with another `ws` at its root).
 * Loaded by these two commands only, so `invoke` and the rest do not pay for it.
 */
export async function ownWs(): Promise<ConnectWebSocketOptions["ws"]> {
  return (await import("ws")).WebSocket;
}
