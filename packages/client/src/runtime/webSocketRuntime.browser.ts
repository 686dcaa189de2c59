import type { SocketFactory } from "../realtime/socket";

/** Browsers have only the platform WebSocket: nothing to load, and no `ws` in the bundle. */
export function nodeSocketFactory(): Promise<SocketFactory | undefined> {
  return Promise.resolve(undefined);
}

/** Browsers cannot use the `ws` package: the `ws` option is refused. */
export function wsSocketFactory(_Ws: unknown): SocketFactory | undefined {
  return undefined;
}
