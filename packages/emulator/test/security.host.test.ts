import http from "node:http";
import { startEmulator } from "../src";
import { HostPolicy } from "../src/hosts";
import { start, type Harness } from "./helpers";

/** A GET /ping with a chosen Host header, over a real connection to the emulator. */
function pingWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname.replace(/^\[|\]$/g, ""), port, path: "/ping", headers: { Host: host } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("DNS rebinding guard (Host header)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ allowedHosts: ["dev.internal"] });
  });
  afterAll(() => h.emu.close());

  it.each(["evil.example", "evil.example:1234", "localhost.evil.example", "127.0.0.2", "[::1]"])(
    "refuses Host %s with 403 AccessDeniedException",
    async (host) => {
      const port = new URL(h.emu.url).port;
      const res = await pingWithHost(h.emu.url, host.includes(":") && !host.startsWith("[") ? host : `${host}:${port}`);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).message).toContain("is not allowed");
    },
  );

  it("refuses an operation too, before auth", async () => {
    const { port } = new URL(h.emu.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port, method: "POST", path: new URL(h.opUrl("invocations")).pathname, headers: { Host: `rebound.example:${port}`, Authorization: `Bearer ${h.token}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(403);
  });

  it.each(["127.0.0.1", "localhost", "LOCALHOST", "localhost.", "dev.internal"])("accepts Host %s (any port)", async (name) => {
    const { port } = new URL(h.emu.url);
    expect((await pingWithHost(h.emu.url, `${name}:${port}`)).status).toBe(200);
    expect((await pingWithHost(h.emu.url, `${name}:1`)).status).toBe(200);
  });

  it("decides by the bound address", () => {
    const loop6 = new HostPolicy("::1", "::1");
    expect(loop6.allows("[::1]:80")).toBe(true);
    expect(loop6.allows("localhost")).toBe(true);
    expect(loop6.allows("127.0.0.1")).toBe(false);
    const lan = new HostPolicy("192.168.1.20", "192.168.1.20", ["box.lan"]);
    expect(lan.allows("192.168.1.20:8787")).toBe(true);
    expect(lan.allows("box.lan:8787")).toBe(true);
    expect(lan.allows("localhost:8787")).toBe(false);
    expect(lan.allows("evil.example:8787")).toBe(false);
    const any = new HostPolicy("0.0.0.0", "0.0.0.0");
    expect(any.allows("10.0.0.5:8787")).toBe(true);
    expect(any.allows("localhost:8787")).toBe(true);
    expect(any.allows("evil.example:8787")).toBe(false);
    expect(any.allows(undefined)).toBe(true);
  });
});

describe("binding", () => {
  it.each(["", " ", "\t", "http://127.0.0.1", "127.0.0.1:8787", "local host", "[localhost]", "-x"])(
    "rejects host %j (\"\" would bind every interface)",
    async (host) => {
      await expect(startEmulator({ host })).rejects.toThrow(RangeError);
    },
  );

  it.each([8787.5, -1, 65536, Number.NaN])("rejects port %p", async (port) => {
    await expect(startEmulator({ port })).rejects.toThrow(RangeError);
  });

  it("reports the address actually bound, not the name it was given", async () => {
    const emu = await startEmulator({ host: "localhost" });
    try {
      const { hostname } = new URL(emu.url);
      expect(["127.0.0.1", "[::1]"]).toContain(hostname);
      expect((await fetch(`${emu.url}/ping`)).status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  it("accepts a bracketed IPv6 loopback", async () => {
    let emu;
    try {
      emu = await startEmulator({ host: "[::1]" });
    } catch (err) {
      // no IPv6 on this machine: nothing to check
      expect((err as NodeJS.ErrnoException).code).toMatch(/EADDRNOTAVAIL|EAFNOSUPPORT/);
      return;
    }
    try {
      expect(emu.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    } finally {
      await emu.close();
    }
  });

  it.each(["0.0.0.0", "::", "192.0.2.1"])("refuses exec on the non-loopback address %s without allowRemoteExec", async (host) => {
    await expect(startEmulator({ host, exec: true })).rejects.toThrow(/allowRemoteExec/);
  });

  it("binds loopback by default, exec included", async () => {
    const emu = await startEmulator({ exec: true });
    try {
      expect(new URL(emu.url).hostname).toBe("127.0.0.1");
    } finally {
      await emu.close();
    }
  });

  it.each([
    ["maxSessions", 0],
    ["maxSessions", 1.5],
    ["maxConcurrentBodies", 0],
    ["maxConcurrentBodies", Number.POSITIVE_INFINITY],
  ])("rejects %s = %p", async (name, value) => {
    await expect(startEmulator({ [name]: value })).rejects.toThrow(new RangeError(`${name} must be a whole number of at least 1, got ${value}`));
  });
});
