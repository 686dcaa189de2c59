import { request } from "node:http";
import { startEmulator } from "../src";
import { SESSION, sessionId, start } from "./helpers";

describe("runtimeId follows the service's pattern", () => {
  it.each([
    "agent", // no suffix
    "my-agent-abcdefghij", // "-" in the name
    "my_agent-abcdefghi", // 9-character suffix
    "my_agent-abcdefghijk", // 11-character suffix
    "1agent-abcdefghij", // starts with a digit
    `a${"b".repeat(100)}-abcdefghij`, // name of 101 characters
    "my_agent-abcdefgh!j",
    "x/y-abcdefghij",
    "",
  ])("rejects %j with a RangeError", async (id) => {
    await expect(startEmulator({ runtimeId: id })).rejects.toThrow(RangeError);
    await expect(startEmulator({ runtimeId: id })).rejects.toThrow(/runtimeId must match/);
  });

  it.each(["emulator_agent-abcdefghij", "A-0123456789", `a${"b_".repeat(49)}c-ABCdef0123`])("accepts %j", async (id) => {
    const emu = await startEmulator({ runtimeId: id });
    try {
      expect(emu.runtimeArn.endsWith(`:runtime/${id}`)).toBe(true);
    } finally {
      await emu.close();
    }
  });
});

/** A raw request, so the header block can be made larger than fetch would like. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("request header size", () => {
  it("accepts 20 KB of headers (the client's 16 KiB plus a large JWT); Node's default 16 KiB would refuse them", async () => {
    const h = await start();
    try {
      const headers: Record<string, string> = {
        Authorization: `Bearer ${h.token}`,
        "Content-Type": "application/json",
        [SESSION]: sessionId("big-headers"),
      };
      // 20 custom headers of 1000 characters: 20 KB beyond the rest.
      for (let i = 0; i < 20; i++) headers[`X-Amzn-Bedrock-AgentCore-Runtime-Custom-H${i}`] = "v".repeat(1000);
      const res = await rawPost(h.opUrl("invocations"), headers, JSON.stringify({ prompt: "big" }));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).response).toBe("You said: big");
    } finally {
      await h.emu.close();
    }
  });

  it("still refuses a header block far past the limit (431)", async () => {
    const h = await start();
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${h.token}` };
      for (let i = 0; i < 80; i++) headers[`X-Amzn-Bedrock-AgentCore-Runtime-Custom-H${i}`] = "v".repeat(1000);
      const res = await rawPost(h.opUrl("invocations"), headers, "{}");
      expect(res.status).toBe(431);
    } finally {
      await h.emu.close();
    }
  });
});
