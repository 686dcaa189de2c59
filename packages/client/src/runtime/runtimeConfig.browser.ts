import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";

/** The browser default: fetch, created on the first send. */
export function createDefaultRequestHandler(_options: { connectionTimeout?: number; maxSockets?: number; logger?: unknown }): HttpHandler {
  return new FetchHttpHandler({}) as unknown as HttpHandler;
}

/** Browsers have no environment to read an endpoint override from. */
export function endpointFromEnvironment(): string | undefined {
  return undefined;
}

export const runtimeName = "browser";

/** Browsers have no native CRC-32: the event-stream decoder uses its table. */
export function nativeCrc32(): undefined {
  return undefined;
}

/** Milliseconds on a clock that a change of the system time does not move (as setTimeout's own). */
export function monotonicNow(): number {
  return performance.now();
}

/** What UUIDs are made from: Web Crypto's `getRandomValues`. */
export interface RandomSource {
  getRandomValues(array: Uint8Array): unknown;
}

/** Web Crypto, where the page has it (plain-http pages have `getRandomValues` without `randomUUID`). */
export function randomSource(): RandomSource | undefined {
  return (globalThis as { crypto?: RandomSource }).crypto;
}
