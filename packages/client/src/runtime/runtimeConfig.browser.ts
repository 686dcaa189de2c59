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

/**
 * The fetch build gives each call's timeouts timers of their own (protocol/timers.ts): in Cloudflare Workers a
 * timer set while one request is handled never fires once that request has ended, so a timer shared by the calls
 * of several requests stopped every later call's timeouts.
 */
export const sharedTimers = false;

/**
 * The fetch build does not let a call wait for a token or credentials refresh another call started in the
 * background: in Cloudflare Workers that fetch belongs to the request that started it and never settles once that
 * request has ended, so every later call of a client kept across requests waited for it. A call that must wait
 * starts its own.
 */
export const backgroundWork = false;

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
