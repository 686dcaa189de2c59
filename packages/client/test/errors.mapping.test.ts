import http from "node:http";
import {
  AccessDeniedException,
  AgentRuntimeError,
  ConflictException,
  InternalServerException,
  InvokeCommand,
  StopSessionCommand,
  ResourceNotFoundException,
  RetryableConflictException,
  RuntimeClient,
  RuntimeClientError,
  ServiceQuotaExceededException,
  ThrottlingException,
  UnauthorizedException,
  ValidationException,
} from "@agentcore-runtime/client";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

type Reply = { status: number; headers?: Record<string, string>; body: string };
let reply: Reply;
let server: TestServer;
let client: RuntimeClient;
beforeAll(async () => {
  server = await startServer((_req, res: http.ServerResponse) => {
    res.writeHead(reply.status, { "x-amzn-requestid": "rid-123", ...reply.headers });
    res.end(reply.body);
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

async function failWith(r: Reply): Promise<AgentRuntimeError> {
  reply = r;
  return client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).then(
    () => {
      throw new Error("expected an error");
    },
    (e) => e,
  );
}

const json = (o: unknown) => JSON.stringify(o);
const typeHeader = (name: string) => ({ "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazonaws.bedrockagentcore/`, "content-type": "application/json" });

test.each([
  [400, "ValidationException", ValidationException],
  [401, "UnauthorizedException", UnauthorizedException],
  [402, "ServiceQuotaExceededException", ServiceQuotaExceededException],
  [403, "AccessDeniedException", AccessDeniedException],
  [404, "ResourceNotFoundException", ResourceNotFoundException],
  [409, "ConflictException", ConflictException],
  [409, "RetryableConflictException", RetryableConflictException],
  [424, "RuntimeClientError", RuntimeClientError],
  [429, "ThrottlingException", ThrottlingException],
  [500, "InternalServerException", InternalServerException],
] as const)("%i %s from x-amzn-ErrorType maps to its class", async (status, name, Class) => {
  const error = await failWith({ status, headers: typeHeader(name), body: json({ message: `msg for ${name}` }) });
  expect(Class.isInstance(error)).toBe(true);
  expect(error).toBeInstanceOf(Class);
  expect(AgentRuntimeError.isInstance(error)).toBe(true);
  expect(error.name).toBe(name);
  expect(error.message).toBe(`msg for ${name}`);
  expect(error.statusCode).toBe(status);
  expect(error.requestId).toBe("rid-123");
  expect(error.$metadata).toMatchObject({ httpStatusCode: status, requestId: "rid-123", attempts: 1 });
  expect(error.$fault).toBe(status >= 500 ? "server" : "client");
  // retryable is the retry decision for this operation (invoke retries neither 500 nor 424: the agent may have run)
  expect(error.retryable).toBe(["ThrottlingException", "RetryableConflictException"].includes(name));
  // a class's isInstance is exact: another class's error is not one of it
  expect((name === "ThrottlingException" ? ValidationException : ThrottlingException).isInstance(error)).toBe(false);
});

test("ValidationException copies reason and fieldList", async () => {
  const error = (await failWith({
    status: 400,
    headers: typeHeader("ValidationException"),
    body: json({ message: "bad", reason: "FieldValidationFailed", fieldList: [{ name: "runtimeSessionId", message: "too short" }] }),
  })) as ValidationException;
  expect(error.reason).toBe("FieldValidationFailed");
  expect(error.fieldList).toEqual([{ name: "runtimeSessionId", message: "too short" }]);
});

test("name from x-amzn-ErrorType, cut at ':' and ',' and after '#'", async () => {
  expect((await failWith({ status: 400, headers: { "x-amzn-errortype": "aws.protocols#ValidationException,foo" }, body: "{}" })).name).toBe("ValidationException");
});

test("name from body code, else __type; message from Message", async () => {
  expect(await failWith({ status: 429, body: json({ code: "ThrottlingException", Message: "slow down" }) })).toMatchObject({ name: "ThrottlingException", message: "slow down" });
  expect(await failWith({ status: 404, body: json({ __type: "com.amazonaws#ResourceNotFoundException", message: "nope" }) })).toMatchObject({
    name: "ResourceNotFoundException",
    message: "nope",
  });
});

test("the header wins over the body", async () => {
  expect((await failWith({ status: 400, headers: typeHeader("AccessDeniedException"), body: json({ code: "ValidationException" }) })).name).toBe("AccessDeniedException");
});

test("an HTML body from a gateway gives a readable message and the status's name", async () => {
  const error = await failWith({ status: 502, headers: { "content-type": "text/html" }, body: "<html><head><title>502</title><style>x{}</style></head><body><h1>502 Bad Gateway</h1></body></html>" });
  expect(error.name).toBe("AgentRuntimeError");
  expect(error.message).toBe("HTTP 502: 502 502 Bad Gateway");
  expect(error.statusCode).toBe(502);
  expect(error.retryable).toBe(true);
  expect(error.$fault).toBe("server");
});

test("the agent's {error, error_type, message} body: the status picks the class, the agent's type is errorType", async () => {
  const error = await failWith({ status: 424, body: json({ error: "boom", error_type: "ValueError", message: "agent failed" }) });
  expect(RuntimeClientError.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ name: "RuntimeClientError", errorType: "ValueError", message: "agent failed" });
  const server = await failWith({ status: 500, body: json({ error: "boom", error_type: "KeyError", message: "agent crashed" }) });
  expect(InternalServerException.isInstance(server)).toBe(true);
  expect(server).toMatchObject({ errorType: "KeyError", retryable: false, $fault: "server" });
});

test("error.retryable is the same decision the retry middleware takes, per operation and switches", async () => {
  reply = { status: 500, headers: typeHeader("InternalServerException"), body: json({ message: "m" }) };
  const stop = await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: "s".repeat(40) })).catch((e) => e);
  expect(stop).toMatchObject({ name: "InternalServerException", retryable: true });
  const invoke = await failWith(reply);
  expect(invoke.retryable).toBe(false);
  const switched = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, retry: { invoke: { serverError: true } } });
  const error = await switched.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e);
  switched.destroy();
  expect(error.retryable).toBe(true);
});

test("a plain 409 mentioning retry is a RetryableConflictException", async () => {
  expect(RetryableConflictException.isInstance(await failWith({ status: 409, body: json({ message: "Session operation in progress, please retry" }) }))).toBe(true);
});

test("an empty body still yields the status", async () => {
  expect(await failWith({ status: 503, body: "" })).toMatchObject({ name: "AgentRuntimeError", statusCode: 503, message: "HTTP 503 Service Unavailable" });
});

test("$response is there but hidden, and the token never shows in JSON, toString or the message", async () => {
  const error = await failWith({
    status: 401,
    headers: { ...typeHeader("UnauthorizedException"), "www-authenticate": 'Bearer resource_metadata="https://x"' },
    body: json({ message: `Invalid token Bearer ${TOKEN} and raw ${TOKEN}` }),
  });
  expect(error.$response?.statusCode).toBe(401);
  expect(Object.keys(error)).not.toContain("$response");
  const serialised = JSON.stringify(error);
  expect(serialised).not.toContain(TOKEN);
  expect(String(error)).not.toContain(TOKEN);
  expect(error.message).not.toContain(TOKEN);
  expect(error.stack ?? "").not.toContain(TOKEN);
  expect(JSON.parse(serialised)).toMatchObject({ name: "UnauthorizedException", statusCode: 401 });
});

test("isInstance works across two copies of the package", () => {
  const copy = jest.requireActual("../src/protocol/errors") as typeof import("../src/protocol/errors");
  jest.isolateModules(() => {
    const other = require("../src/protocol/errors") as typeof import("../src/protocol/errors");
    expect(other.ThrottlingException).not.toBe(copy.ThrottlingException);
    const foreign = new other.ThrottlingException({ message: "x", statusCode: 429 });
    expect(ThrottlingException.isInstance(foreign)).toBe(true);
    expect(AgentRuntimeError.isInstance(foreign)).toBe(true);
    expect(ValidationException.isInstance(foreign)).toBe(false);
  });
});

test("body fields copied onto the error are redacted too", async () => {
  const other = "eyJhbGciOiJIUzI1NiJ9.eyJvdGhlciI6dHJ1ZX0.c2lnbmF0dXJl";
  const error = await failWith({
    status: 400,
    headers: typeHeader("ValidationException"),
    body: json({ message: "bad", debug: `Authorization: Bearer ${TOKEN}`, fieldList: [{ name: "token", message: `got ${other}` }] }),
  });
  const serialised = JSON.stringify(error);
  expect(serialised).not.toContain(TOKEN);
  expect(serialised).not.toContain(other);
  expect((error as ValidationException).fieldList![0].name).toBe("token");
});
