// Everything the real-time code (webSocket.ts, shell.ts) uses at run time from the rest of the package, in one
// place. In the Node builds the real-time code is a file of its own (dist/realtime.js, .mjs; see lazy.ts) that
// must not carry copies of these modules: their error classes, the WeakMap holding a client's token and the
// rest must be the root entry's own. So that build (tsup.config.ts, `realtimeChunk`) swaps this module for
// bindings the root entry fills with its own values through `linkInternals` once the file has loaded. Type-only
// imports may still name the modules themselves; a value import from outside src/realtime/ that does not come
// through here fails that build.
export { buildRequest, sessionIdFor, SESSION_HEADER } from "../commands/serde";
export { isLoopbackHost } from "../protocol/endpoint";
export { AgentRuntimeError, callerAbortError, clientError, ClientErrorNames, errorFromResponse, headerValue, inBandError, UnauthorizedException } from "../protocol/errors";
export { heldSecret, redact, scrubSecrets } from "../protocol/redact";
export { uuidv4 } from "../protocol/uuid";
export { checkToken, LIMITS } from "../protocol/validate";
export { endpointFromEnvironment } from "../runtime/runtimeConfig";
export { tokenSourceFor } from "../tokens/cache";
export { startTimer } from "../protocol/timers";
export { followSignal, listenToSignal, unlessAborted } from "../protocol/abort";

/**
 * Where this module is itself (tests, the browser builds, the root entry) the real-time code already shares
 * every module with the rest of the package: nothing to do. The Node build of the real-time file replaces it.
 */
export function linkInternals(_internals: object): void {}
