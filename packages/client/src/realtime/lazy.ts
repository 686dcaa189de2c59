// The root entry's real-time functions, loading their implementation (impl.ts: webSocket.ts, shell.ts and the
// Node `ws` adapter, about a fifth of the package) on the first call. Most applications never open a WebSocket,
// and an import should not pay for parsing that code: the Node builds (tsup.config.ts) build impl.ts as a file
// of its own, dist/realtime.js (.mjs), and this import() loads it (a require() in the CommonJS build).
//
// That file holds the real-time modules only. Everything else they use (the error classes, the redaction
// helpers and the WeakMap holding a client's token, serde, validation, the token cache) must be this entry's
// own, not copies: `instanceof`, a client's held token and the rest have to be the same objects on both sides.
// So the real-time code takes those through internals.ts, which that build swaps for empty bindings, and
// `linkInternals` below fills them with this entry's modules before any real-time function runs. (The file
// cannot import them from the root entry, which does not export them, and a second file both import would
// cost every import another file to load.) Where impl.ts is an ordinary module
// (tests, the browser builds, which swap this file for lazy.browser.ts anyway) `linkInternals` does nothing.
import * as internals from "./internals";
import type { ConnectWebSocketOptions, WebSocketConfig, WebSocketConnection, WebSocketConnectionInfo, WebSocketConnectionInput } from "./webSocket";
import type { OpenShellInput, OpenShellOptions, ShellSession } from "./shell";

type Impl = typeof import("./impl");

let loading: Promise<Impl> | undefined;

function impl(): Promise<Impl> {
  loading ??= import("./impl").then(
    (loaded) => {
      loaded.linkInternals(internals);
      return loaded;
    },
    (e: unknown) => {
      // a failed load (a file missing from a broken install) is tried again by the next call
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

/**
 * The URL, headers and subprotocols to open a WebSocket to the runtime's `/ws` with a bearer token, for any
 * WebSocket client: Node clients send `headers`; browsers pass `protocols` (`new WebSocket(url, protocols)`).
 * `config` is a RuntimeClient (its token, provider included, and endpoint settings) or a plain client config.
 */
export async function getWebSocketConnection(input: WebSocketConnectionInput, config?: WebSocketConfig): Promise<WebSocketConnectionInfo> {
  return (await impl()).getWebSocketConnection(input, config);
}

/**
 * Opens a WebSocket to the runtime's `/ws` with the client's bearer token (or `input.bearerToken`) and resolves
 * once it is open. A refused upgrade throws the same typed error as an HTTPS call (401 UnauthorizedException,
 * 404 ResourceNotFoundException, 429 ThrottlingException, …) in Node with `ws`; the platform WebSocket
 * (browsers) hides the response, so there it is a NetworkError that cannot say why.
 */
export async function connectWebSocket(client: WebSocketConfig, input: WebSocketConnectionInput, options: ConnectWebSocketOptions = {}): Promise<WebSocketConnection> {
  return (await impl()).connectWebSocket(client, input, options);
}

/**
 * Opens (or reattaches) an interactive shell in the runtime session and resolves once the service confirmed it.
 * A drop (1001, 1006) reconnects with the same shellId (5 tries, 1 s → 15 s backoff, ±25% jitter; a drop within
 * 5 s of a reconnect goes on with its count); 1000, 1003 and 4000 (another client took the shell over) end it.
 * Upgrade failures are the HTTPS calls' typed errors.
 */
export async function openShell(client: WebSocketConfig, input: OpenShellInput, options: OpenShellOptions = {}): Promise<ShellSession> {
  return (await impl()).openShell(client, input, options);
}
