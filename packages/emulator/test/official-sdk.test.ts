import {
  BedrockAgentCoreClient,
  type BedrockAgentCoreClientConfig,
  InvokeAgentRuntimeCommand,
  InvokeAgentRuntimeCommandCommand,
  StopRuntimeSessionCommand,
} from "@aws-sdk/client-bedrock-agentcore";
import { HttpBearerAuthSigner } from "@smithy/core";
import { sessionId, start, type Harness } from "./helpers";

/** The official AWS SDK v3 client, forced to bearer auth: an independent second client of the emulator. */
function officialClient(url: string, token: string): BedrockAgentCoreClient {
  return new BedrockAgentCoreClient({
    region: "us-east-1",
    endpoint: url,
    token: { token },
    httpAuthSchemeProvider: () => [{ schemeId: "smithy.api#httpBearerAuth" }],
    httpAuthSchemes: [
      { schemeId: "smithy.api#httpBearerAuth", identityProvider: () => async () => ({ token }), signer: new HttpBearerAuthSigner() },
    ],
  } as BedrockAgentCoreClientConfig);
}

describe("the official AWS SDK v3 client against the emulator", () => {
  let h: Harness;
  let client: BedrockAgentCoreClient;
  beforeAll(async () => {
    h = await start({ exec: true });
    client = officialClient(h.emu.url, h.token);
  });
  afterAll(async () => {
    client.destroy();
    await h.emu.close();
  });

  it("invokes and reads the response body stream (JSON and SSE)", async () => {
    const runtimeSessionId = sessionId();
    const json = await client.send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: h.emu.runtimeArn,
        runtimeSessionId,
        contentType: "application/json",
        accept: "application/json",
        payload: new TextEncoder().encode(JSON.stringify({ prompt: "from the SDK" })),
      }),
    );
    expect(json.runtimeSessionId).toBe(runtimeSessionId);
    expect(json.contentType).toBe("application/json");
    expect(JSON.parse(await json.response!.transformToString())).toEqual({ response: "You said: from the SDK", sessionId: runtimeSessionId });

    const sse = await client.send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: h.emu.runtimeArn,
        runtimeSessionId,
        accept: "text/event-stream",
        payload: new TextEncoder().encode(JSON.stringify({ prompt: "a b" })),
      }),
    );
    expect(await sse.response!.transformToString()).toBe('data: "You "\n\ndata: "said: "\n\ndata: "a "\n\ndata: "b"\n\n');
  });

  it("runs a command and iterates the event stream of chunks", async () => {
    const runtimeSessionId = sessionId();
    const out = await client.send(
      new InvokeAgentRuntimeCommandCommand({
        agentRuntimeArn: h.emu.runtimeArn,
        runtimeSessionId,
        body: { command: "echo out; echo err >&2; exit 4", timeout: 10 },
      }),
    );
    expect(out.runtimeSessionId).toBe(runtimeSessionId);
    const chunks: unknown[] = [];
    for await (const event of out.stream!) chunks.push(event.chunk);
    // stdout and stderr come through two pipes: their relative order is not guaranteed
    expect(chunks[0]).toEqual({ contentStart: {} });
    expect(chunks[chunks.length - 1]).toEqual({ contentStop: { exitCode: 4, status: "COMPLETED" } });
    const deltas = chunks.slice(1, -1);
    expect(deltas).toHaveLength(2);
    expect(deltas).toEqual(expect.arrayContaining([{ contentDelta: { stdout: "out\n" } }, { contentDelta: { stderr: "err\n" } }]));
  });

  it("surfaces a mid-stream exception frame as the modeled error", async () => {
    const faulty = officialClient(h.emu.url, h.token);
    faulty.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault"] =
          "exception; type=throttlingException; message=Slow down";
        return next(args);
      },
      { step: "build", name: "emulatorFault" },
    );
    try {
      const out = await faulty.send(
        new InvokeAgentRuntimeCommandCommand({ agentRuntimeArn: h.emu.runtimeArn, runtimeSessionId: sessionId(), body: { command: "echo x" } }),
      );
      const seen: unknown[] = [];
      await expect(
        (async () => {
          for await (const event of out.stream!) seen.push(event.chunk);
        })(),
      ).rejects.toMatchObject({ name: "ThrottlingException", message: "Slow down" });
      expect(seen).toEqual([{ contentStart: {} }]);
    } finally {
      faulty.destroy();
    }
  });

  it("stops the session", async () => {
    const runtimeSessionId = sessionId();
    await client.send(
      new InvokeAgentRuntimeCommandCommand({ agentRuntimeArn: h.emu.runtimeArn, runtimeSessionId, body: { command: "true" } }),
    ).then(async (out) => {
      for await (const _ of out.stream!);
    });
    const stopped = await client.send(new StopRuntimeSessionCommand({ agentRuntimeArn: h.emu.runtimeArn, runtimeSessionId }));
    expect(stopped.runtimeSessionId).toBe(runtimeSessionId);
    expect(stopped.$metadata.httpStatusCode).toBe(200);
    await expect(
      client.send(new StopRuntimeSessionCommand({ agentRuntimeArn: h.emu.runtimeArn, runtimeSessionId })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
  });

  it("maps the emulator's errors to the SDK's modeled exceptions", async () => {
    const bad = officialClient(h.emu.url, await h.emu.issueToken({ client_id: "intruder" }));
    try {
      await expect(
        bad.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: h.emu.runtimeArn, payload: new Uint8Array() })),
      ).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
      await expect(
        client.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: h.emu.runtimeArn, runtimeSessionId: "too-short", payload: new Uint8Array() })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    } finally {
      bad.destroy();
    }
  });
});
