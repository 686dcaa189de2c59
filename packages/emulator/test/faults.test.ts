import http from "node:http";
import { FAULT, SESSION, commandOutcome, decodeFrames, errorName, headerValues, payloadOf, readToEnd, sessionId, sseData, start, type Harness } from "./helpers";
import { refusal, wsBase } from "./wsHelpers";

const SSE = { Accept: "text/event-stream" };
const NORMAL_SSE = 'data: "You "\n\ndata: "said: "\n\ndata: "one "\n\ndata: "two "\n\ndata: "three"\n\n';

/** Chunks of a response body as the socket delivered them, via node:http (fetch may merge them). */
function rawChunks(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; chunks: Buffer[]; error?: Error }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, chunks }));
      res.on("error", (error) => resolve({ status: res.statusCode!, chunks, error }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("fault injection", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.emu.close());

  const withFault = (op: string, fault: string, init: { body?: object; headers?: Record<string, string> } = {}) =>
    h.post(op, { body: init.body ?? (op === "commands" ? { command: "echo hi" } : { prompt: "one two three" }), headers: { [FAULT]: fault, ...init.headers } });

  describe("faults that replace the response", () => {
    it("throttle: 429 ThrottlingException with Retry-After", async () => {
      const res = await withFault("invocations", "throttle; retryAfter=2");
      expect(res.status).toBe(429);
      expect(errorName(res)).toBe("ThrottlingException");
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.headers.get("x-amzn-requestid")).toBeTruthy();
      expect((await res.json()).message).toBeTruthy();
      expect(h.emu.requests.at(-1)).toMatchObject({ fault: "throttle", status: 429 });
    });

    it("conflict: 409 RetryableConflictException", async () => {
      const res = await withFault("commands", "conflict");
      expect(res.status).toBe(409);
      expect(errorName(res)).toBe("RetryableConflictException");
      expect((await res.json()).message).toBe("Session operation in progress, please retry");
    });

    it("coldstart: 424 RuntimeClientError after delayMs", async () => {
      const started = Date.now();
      const res = await withFault("invocations", "coldstart; delayMs=150");
      expect(res.status).toBe(424);
      expect(errorName(res)).toBe("RuntimeClientError");
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it("500: InternalServerException JSON", async () => {
      const res = await withFault("stopruntimesession", "500", { body: {}, headers: { [SESSION]: sessionId() } });
      expect(res.status).toBe(500);
      expect(errorName(res)).toBe("InternalServerException");
      expect((await res.json()).message).toBeTruthy();
    });

    it.each([
      ["500-html", 500],
      ["502-html", 502],
      ["503", 503],
      ["504", 504],
    ])("%s: gateway HTML body without x-amzn-ErrorType", async (mode, status) => {
      const res = await withFault("invocations", mode);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("text/html");
      expect(res.headers.get("x-amzn-errortype")).toBeNull();
      expect(await res.text()).toMatch(new RegExp(`<html>.*${status}`));
    });

    it("error: any status and error name", async () => {
      const res = await withFault("invocations", "error; status=402; type=ServiceQuotaExceededException; message=Too many sessions");
      expect(res.status).toBe(402);
      expect(errorName(res)).toBe("ServiceQuotaExceededException");
      expect(await res.json()).toEqual({ message: "Too many sessions" });
    });

    it("reset: the connection is cut before any response byte", async () => {
      await expect(withFault("commands", "reset")).rejects.toThrow();
      expect(h.emu.requests.at(-1)).toMatchObject({ fault: "reset", status: 0 });
    });
  });

  describe("faults inside the body", () => {
    it("drop: SSE events before afterEvents arrive, then the connection is cut", async () => {
      const res = await withFault("invocations", "drop; afterEvents=2", { headers: SSE });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = "";
      await expect(
        (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            text += Buffer.from(value).toString();
          }
        })(),
      ).rejects.toThrow();
      expect(text).toBe('data: "You "\n\ndata: "said: "\n\n');
    });

    it("drop: command frames before afterEvents arrive, then the cut (default afterEvents 1)", async () => {
      const res = await withFault("commands", "drop");
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(decodeFrames(first.value!).map(payloadOf)).toEqual([{ contentStart: {} }]);
      await expect(readToEnd(reader)).rejects.toThrow();
    });

    it("drop: a JSON body is cut in the middle", async () => {
      const res = await withFault("invocations", "drop");
      await expect(res.text()).rejects.toThrow();
    });

    it("drop: with fewer events than afterEvents the stream is still cut, never ended cleanly", async () => {
      const res = await withFault("invocations", "drop; afterEvents=99", { headers: SSE });
      await expect(res.text()).rejects.toThrow();
    });

    it("stall: sends afterEvents events then nothing, holding the connection until the client leaves", async () => {
      const controller = new AbortController();
      const res = await h.post("invocations", {
        body: { prompt: "one two three" },
        headers: { [FAULT]: "stall; afterEvents=1", ...SSE },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      expect(Buffer.from((await reader.read()).value!).toString()).toBe('data: "You "\n\n');
      const next = reader.read();
      const quiet = await Promise.race([next.then(() => "data"), new Promise((r) => setTimeout(() => r("quiet"), 300))]);
      expect(quiet).toBe("quiet");
      controller.abort();
      await expect(next).rejects.toThrow();
    });

    it("stall: close() ends a stalled stream", async () => {
      const other = await start();
      const res = await other.post("commands", { body: { command: "echo x" }, headers: { [FAULT]: "stall; afterEvents=0" } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await other.emu.close();
      await expect(readToEnd(reader)).rejects.toThrow();
    });

    it("drip: the same SSE body arrives in pieces of 1–7 bytes", async () => {
      const { status, chunks } = await rawChunks(
        h.opUrl("invocations"),
        { Authorization: `Bearer ${h.token}`, [FAULT]: "drip; delayMs=2", ...SSE },
        JSON.stringify({ prompt: "one two three" }),
      );
      expect(status).toBe(200);
      expect(Buffer.concat(chunks).toString()).toBe(NORMAL_SSE);
      expect(chunks.length).toBeGreaterThan(NORMAL_SSE.length / 7 / 2);
      expect(Math.max(...chunks.map((c) => c.byteLength))).toBeLessThanOrEqual(14);
    });

    it("drip: command frames survive byte-level delivery", async () => {
      const res = await withFault("commands", "drip; delayMs=0", { body: { command: "echo é☃😀" } });
      const out = commandOutcome(new Uint8Array(await res.arrayBuffer()));
      expect(out.stdout).toBe("é☃😀\n");
      expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
    });

    it("corrupt-crc: the frame after afterEvents has a bad message CRC", async () => {
      const res = await withFault("commands", "corrupt-crc; afterEvents=1");
      const body = new Uint8Array(await res.arrayBuffer());
      const view = new DataView(body.buffer, body.byteOffset);
      const firstLength = view.getUint32(0);
      expect(decodeFrames(body.subarray(0, firstLength)).map(payloadOf)).toEqual([{ contentStart: {} }]);
      const secondLength = view.getUint32(firstLength);
      expect(() => decodeFrames(body.subarray(firstLength, firstLength + secondLength))).toThrow(/checksum/i);
      const rest = decodeFrames(body.subarray(firstLength + secondLength)).map(payloadOf);
      expect(rest).toEqual([{ contentStop: { exitCode: 0, status: "COMPLETED" } }]);
    });

    it("exception: an agent's own error name (spaces, colons) is sent as given; only control characters are refused", async () => {
      for (const type of ["Model Error", "Agent::ToolError"]) {
        const res = await withFault("commands", `exception; type=${type}`);
        expect(res.status).toBe(200);
        const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
        expect(headerValues(frames[1])[":exception-type"]).toBe(type);
      }
      // (a header value cannot carry one: configured)
      expect(() => h.emu.setFaults([{ mode: "exception", type: "a\u0001b" }])).toThrow(/^Fault parameter type must be text without control characters/);
    });

    it("exception: a modeled exception frame mid-stream, then the end", async () => {
      const res = await withFault("commands", "exception; type=validationException; message=Command not permitted");
      const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
      expect(frames).toHaveLength(2);
      expect(payloadOf(frames[0])).toEqual({ contentStart: {} });
      expect(headerValues(frames[1])).toEqual({
        ":message-type": "exception",
        ":exception-type": "validationException",
        ":content-type": "application/json",
      });
      // the model requires a ValidationException's reason (a frame without it left the official SDK's undefined)
      expect(payloadOf(frames[1])).toEqual({ message: "Command not permitted", reason: "FieldValidationFailed" });
    });

    it("error: a ValidationException response carries its required reason", async () => {
      const res = await withFault("invocations", "error; status=400; type=ValidationException; message=nope");
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: "nope", reason: "FieldValidationFailed" });
    });

    it("exception: an SSE error event after afterEvents", async () => {
      const res = await withFault("invocations", "exception; afterEvents=2; type=ValueError; message=bad", { headers: SSE });
      const data = sseData(await res.text());
      expect(data).toHaveLength(3);
      expect(JSON.parse(data[2])).toEqual({ error: "bad", error_type: "ValueError", message: "An error occurred during streaming" });
    });

    it("error-frame: an error message frame with code and message", async () => {
      const res = await withFault("commands", "error-frame; code=InternalFailure; message=stream broke");
      const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
      expect(headerValues(frames[1])).toEqual({ ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "stream broke" });
      expect(frames[1].body.byteLength).toBe(0);
    });
  });

  describe("choosing the fault", () => {
    it("header `times` counts per session, so a retry with the same session succeeds", async () => {
      const sid = sessionId();
      const headers = { [SESSION]: sid };
      expect((await withFault("invocations", "throttle; times=1", { headers })).status).toBe(429);
      expect((await withFault("invocations", "throttle; times=1", { headers })).status).toBe(200);
      expect((await withFault("invocations", "throttle; times=1", { headers: { [SESSION]: sessionId() } })).status).toBe(429);
    });

    it("header `op` limits the fault to one operation", async () => {
      expect((await withFault("invocations", "throttle; op=commands")).status).toBe(200);
      expect((await withFault("commands", "throttle; op=commands")).status).toBe(429);
    });

    it("answers an unknown mode or parameter with 400", async () => {
      const res = await withFault("invocations", "explode");
      expect(res.status).toBe(400);
      expect((await res.json()).message).toMatch(/Unknown emulator fault mode/);
      expect((await withFault("invocations", "throttle; nope=1")).status).toBe(400);
      expect((await withFault("invocations", "throttle; retryAfter=soon")).status).toBe(400);
    });

    it.each(["error; status=1000", "error; status=42", "error; status=404.5", "error; status=100", "500-html; status=99"])(
      "a status that is not a whole number from 200 to 599 is a 400 naming it: %s",
      async (fault) => {
        const res = await withFault("invocations", fault);
        expect({ status: res.status, name: errorName(res) }).toEqual({ status: 400, name: "ValidationException" });
        expect((await res.json()).message).toMatch(/^Fault parameter status must be a whole number from 200 to 599/);
      },
    );

    it.each(["throttle; times=1.5", "drop; afterEvents=2.5", "throttle; retryAfter=0.5"])("a count or Retry-After that is not a whole number is a 400 naming it: %s", async (fault) => {
      const res = await withFault("invocations", fault);
      expect({ status: res.status, name: errorName(res) }).toEqual({ status: 400, name: "ValidationException" });
      expect((await res.json()).message).toMatch(/^Fault parameter (times|afterEvents|retryAfter) must be a whole number/);
    });

    it("a type that is not an error name (CR LF, spaces, non-ASCII) is a 400 naming it, also from a WebSocket query", async () => {
      const res = await withFault("invocations", "error; type=Not Valid");
      expect({ status: res.status, name: errorName(res) }).toEqual({ status: 400, name: "ValidationException" });
      expect((await res.json()).message).toMatch(/^Fault parameter type must be/);
      for (const fault of ["error; type=A\r\nB", "error; type=Ünï€", "exception; type=a\u0000b"]) {
        const refused = await refusal(`${wsBase(h.emu)}/ws?${FAULT}=${encodeURIComponent(fault)}`, { headers: { Authorization: `Bearer ${h.token}` } });
        expect({ fault, status: refused.status, message: refused.body.message }).toEqual({ fault, status: 400, message: expect.stringMatching(/^Fault parameter type must be/) });
      }
      expect((await withFault("invocations", "error; status=404; type=ResourceNotFoundException")).status).toBe(404);
      expect(() => h.emu.setFaults([{ mode: "error", status: 1000 }])).toThrow(/Fault parameter status/);
    });

    it("configured faults apply to the first `times` matching requests", async () => {
      const c = await start({ faults: [{ mode: "throttle", times: 2, op: "invocations" }] });
      try {
        expect((await c.post("commands", { body: { command: "true" } })).status).toBe(200);
        expect((await c.post("invocations", { body: {} })).status).toBe(429);
        expect((await c.post("invocations", { body: {} })).status).toBe(429);
        expect((await c.post("invocations", { body: {} })).status).toBe(200);
        expect(c.emu.requests.filter((r) => r.op === "invocations").map((r) => r.status)).toEqual([429, 429, 200]);
      } finally {
        await c.emu.close();
      }
    });

    it("setFaults replaces the faults at runtime, and validates them", async () => {
      h.emu.setFaults([{ mode: "500", times: 1 }, { mode: "conflict", times: 1 }]);
      expect((await h.post("invocations", { body: {} })).status).toBe(500);
      expect((await h.post("commands", { body: { command: "true" } })).status).toBe(409);
      expect((await h.post("invocations", { body: {} })).status).toBe(200);
      expect(() => h.emu.setFaults([{ mode: "nope" as never }])).toThrow(/Unknown emulator fault mode/);
      h.emu.setFaults([]);
    });

    it("a header fault takes precedence over configured faults", async () => {
      h.emu.setFaults([{ mode: "conflict" }]);
      try {
        expect((await withFault("invocations", "throttle")).status).toBe(429);
      } finally {
        h.emu.setFaults([]);
      }
    });
  });
});
