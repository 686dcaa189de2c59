import { EventStreamCodec, Int64 } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { EventStreamDecoder } from "../src/protocol/eventStream";
import { AgentRuntimeError } from "../src/protocol/errors";
import { splits } from "./helpers/fixtures";

/*
 * A frame's headers must lie inside the header section its prelude declares. These frames have valid CRCs
 * but a header (name, value length, fixed-size value) that runs past that section: into the payload, into
 * the message CRC, or past the frame into whatever follows it in the same read. Each is malformed however
 * the network cuts the bytes, and nothing after it is decoded.
 */

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const enc = new TextEncoder();

/** A frame with the given raw header section (declared length = its length) and payload; both CRCs valid. */
function rawFrame(headerSection: Uint8Array, payload: Uint8Array): Uint8Array {
  const total = 12 + headerSection.length + payload.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headerSection.length);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headerSection, 12);
  out.set(payload, 12 + headerSection.length);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** name_len, name, type 7 (string), u16 length, value; `declared` overrides the u16 length. */
function stringHeader(name: string, value: string, declared?: number): Uint8Array {
  const n = enc.encode(name);
  const v = enc.encode(value);
  const len = declared ?? v.length;
  return cat(Uint8Array.of(n.length), n, Uint8Array.of(7, len >> 8, len & 0xff), v);
}

const goodHeaders = cat(stringHeader(":message-type", "event"), stringHeader(":event-type", "chunk"), stringHeader(":content-type", "application/json"));
const goodFrame = (payload: unknown) => rawFrame(goodHeaders, enc.encode(JSON.stringify(payload)));

const before = goodFrame({ contentStart: {} });
const after = cat(goodFrame({ contentDelta: { stdout: "after the bad frame" } }), goodFrame({ contentStop: { exitCode: 0, status: "COMPLETED" } }));
const payload = enc.encode(JSON.stringify({ contentDelta: { stdout: "x".repeat(40) } }));
const typeHeader = stringHeader(":message-type", "event");

const lying: [string, Uint8Array][] = [
  // the string value claims 200 bytes: past the section, the payload and the frame, into the next frames
  ["a string value longer than the rest of the frame", rawFrame(cat(typeHeader, stringHeader(":event-type", "chunk", 200)), payload)],
  // the string value claims 20 bytes where 5 are left: it would swallow part of the payload
  ["a string value running into the payload", rawFrame(cat(typeHeader, stringHeader(":event-type", "chunk", 20)), payload)],
  // bytes (type 6) with the same lie
  ["a bytes value running past the section", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x62, 6, 0, 120), enc.encode("abc")), payload)],
  // the name claims 100 bytes where 3 are left
  ["a header name running past the section", rawFrame(cat(typeHeader, Uint8Array.of(100), enc.encode("abc")), payload)],
  // an int64 (type 5) needs 8 bytes, 2 are left
  ["an int64 value cut by the end of the section", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x6c, 5, 0, 0)), payload)],
  // a timestamp (type 8) needs 8 bytes, none are left
  ["a timestamp value cut by the end of the section", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x74, 8)), payload)],
  // a uuid (type 9) needs 16 bytes, 4 are left
  ["a uuid value cut by the end of the section", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x75, 9, 1, 2, 3, 4)), payload)],
  // the u16 length of a string straddles the end of the section
  ["a string length field cut by the end of the section", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x73, 7, 0)), payload)],
  // the section ends after a name, before its type byte
  ["a header without its type byte", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x73)), payload)],
  // an int32 (type 4) needs 4 bytes, 1 is left
  ["an int32 value cut by the end of the section", rawFrame(cat(typeHeader, Uint8Array.of(1, 0x69, 4, 0)), payload)],
];

/** Feeds the pieces as the commands do; returns how many frames came out and the error that ended it. */
function feed(pieces: Uint8Array[]): { frames: number; error?: AgentRuntimeError } {
  const decoder = new EventStreamDecoder();
  let frames = 0;
  try {
    for (const piece of pieces) frames += decoder.push(piece).length;
    decoder.finish();
  } catch (e) {
    return { frames, error: e as AgentRuntimeError };
  }
  return { frames };
}

test("the frame builder is sound: honest frames decode under every split", () => {
  const bytes = cat(before, after);
  for (const { label, pieces } of splits(bytes)) {
    expect({ label, ...feed(pieces) }).toEqual({ label, frames: 3 });
  }
});

test("headers of every type that fit their section decode, exactly as the codec encoded them", () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const headers = {
    t: { type: "boolean", value: true },
    f: { type: "boolean", value: false },
    b: { type: "byte", value: -7 },
    s: { type: "short", value: -300 },
    i: { type: "integer", value: 70000 },
    l: { type: "long", value: Int64.fromNumber(-5) },
    bin: { type: "binary", value: Uint8Array.of(1, 2, 3) },
    str: { type: "string", value: "héllo" },
    ts: { type: "timestamp", value: new Date(1700000000000) },
    u: { type: "uuid", value: "a1b2c3d4-e5f6-4789-8abc-def012345678" },
    ["n".repeat(255)]: { type: "string", value: "" },
  } as const;
  const frame = codec.encode({ headers: headers as never, body: enc.encode("{}") });
  const expected = codec.decode(frame).headers;
  for (const { label, pieces } of splits(cat(frame, frame))) {
    const decoder = new EventStreamDecoder();
    const got = pieces.flatMap((p) => decoder.push(p).map((m) => m.headers));
    decoder.finish();
    expect({ label, got }).toEqual({ label, got: [expected, expected] });
  }
});

describe.each(lying)("%s", (_label, bad) => {
  const check = (label: string, pieces: Uint8Array[], framesBefore: number) => {
    const { frames, error } = feed(pieces);
    expect({ label, frames, name: error?.name }).toEqual({ label, frames: framesBefore, name: "EventStreamFramingError" });
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
  };

  test("alone, whole and under every split", () => {
    for (const { label, pieces } of splits(bad)) check(label, pieces, 0);
  });

  test("followed by more frames in the same read", () => {
    check("whole", [cat(bad, after)], 0);
  });

  test("between good frames, whole, byte by byte and split at every byte", () => {
    for (const { label, pieces } of splits(cat(before, bad, after))) check(label, pieces, 1);
  });
});
