// A stand-in for what a response-streaming function meets in AWS Lambda's Node.js runtime behind a function URL
// (invoke mode RESPONSE_STREAM), after the runtime interface client (aws-lambda-nodejs-runtime-interface-client)
// and the Lambda developer guide ("Writing response streaming-enabled Lambda functions"):
//
// - `awslambda.streamifyResponse(handler)` marks the handler with Symbol.for("aws.lambda.runtime.handler.streaming")
//   = "response"; `awslambda.HttpResponseStream.from(stream, prelude)` sets the stream's content type to
//   application/vnd.awslambda.http-integration-response and, just before the first write, writes
//   JSON.stringify(prelude) and then 8 NUL bytes.
// - The response stream is an HTTP/1.1 chunked request to the Runtime API (here a route of this server) carrying
//   Lambda-Runtime-Function-Response-Mode: streaming, handed to the handler as a plain object with the Writable
//   methods only. Its write() runs the prelude hook once and JSON-encodes what is not a string or bytes;
//   setContentType() throws after the first write; end() is the request's own, so end(chunk) skips the hook.
// - The handler must return a promise; once it settles the runtime waits for the Runtime API to answer and fails
//   the invocation when the stream is not finished ("Response stream is not finished."); past the timeout the
//   invocation is "Task timed out".
// - The function URL turns a request into a payload format 2.0 event, and the function's byte stream back into a
//   response: the prelude's statusCode, headers and cookies, then the bytes after the delimiter.
// - A caller going away does not reach the function (Lambda raises no event for it, see
//   aws-lambda-nodejs-runtime-interface-client issue #145): with LAMBDA_ON_DISCONNECT=ignore (the default) the
//   bytes are read and dropped; with LAMBDA_ON_DISCONNECT=reset the Runtime API connection is reset instead, the
//   way a broken response stream looks to a function.
//
//   node lambda-runtime.mjs <module> [export, default "handler"]     env LAMBDA_TIMEOUT_MS (default 3000)
//
// Prints "listening on <function URL>", then one line per finished invocation: "invocation <json>" with
// requestId, contentType, raw (base64 of every byte the function wrote), outcome ("ok" | "error" | "timeout"),
// error, handlerSettled, streamFinished, trailers.
import { randomUUID } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const METADATA_PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
const DELIMITER_LEN = 8;
const HANDLER_STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const STREAM_RESPONSE = "response";
const RESPONSE_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/;
const TIMEOUT_MS = Number(process.env.LAMBDA_TIMEOUT_MS ?? 3000);
const ON_DISCONNECT = process.env.LAMBDA_ON_DISCONNECT ?? "ignore";

class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(DELIMITER_LEN));
    };
    return underlyingStream;
  }
}

globalThis.awslambda = {
  streamifyResponse(handler, options) {
    handler[HANDLER_STREAMING] = STREAM_RESPONSE;
    if (options?.highWaterMark !== undefined) handler[Symbol.for("aws.lambda.runtime.handler.streaming.highWaterMark")] = options.highWaterMark;
    return handler;
  },
  HttpResponseStream,
};

const WRITABLE_METHODS = ["cork", "destroy", "end", "uncork", "write", "addListener", "on", "once", "prependListener", "prependOnceListener", "off", "removeListener", "removeAllListeners", "setMaxListeners", "getMaxListeners", "listeners", "rawListeners", "listenerCount", "eventNames", "emit", "setContentType"];
const PROPS_READ_WRITE = ["destroyed", "_onBeforeFirstWrite"];
const PROPS_READ_ONLY = ["writableFinished", "writableObjectMode", "writableEnded", "writableNeedDrain", "writableHighWaterMark", "writableCorked", "writableLength", "writable"];

/** The response stream of one invocation: a chunked request to the Runtime API. */
function createResponseStream(runtimeApi, requestId) {
  let firstWriteDone = false;
  const req = http.request(`${runtimeApi}/2018-06-01/runtime/invocation/${requestId}/response`, {
    method: "POST",
    agent: new http.Agent({ keepAlive: false }),
    headers: {
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      Trailer: ["Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"],
      "Content-Type": "application/octet-stream",
      "Transfer-Encoding": "chunked",
    },
  });
  const responseDone = new Promise((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("aborted", () => reject(new Error("aborted")));
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", (err) => {
      reject(err);
      req.destroy(err);
    });
  });
  responseDone.catch(() => undefined);
  req.setContentType = (contentType) => {
    if (firstWriteDone) throw Object.assign(new Error("Cannot set content-type, too late."), { name: "Runtime.InvalidStreamingOperation" });
    req.setHeader("Content-Type", contentType);
  };
  const origWrite = req.write.bind(req);
  req.write = (chunk, encoding, callback) => {
    const data = typeof chunk !== "string" && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array) ? JSON.stringify(chunk) : chunk;
    if (!firstWriteDone && typeof req._onBeforeFirstWrite === "function") req._onBeforeFirstWrite((ch) => origWrite(ch));
    const ret = origWrite(data, encoding, callback);
    firstWriteDone = true;
    return ret;
  };
  const stream = {};
  for (const method of WRITABLE_METHODS) stream[method] = req[method].bind(req);
  for (const p of PROPS_READ_WRITE) Object.defineProperty(stream, p, { get: () => req[p], set: (v) => (req[p] = v) });
  for (const p of PROPS_READ_ONLY) Object.defineProperty(stream, p, { get: () => req[p] });
  const fail = (err) => {
    const error = { errorType: err?.name ?? "Error", errorMessage: String(err?.message ?? err) };
    req.addTrailers({ "Lambda-Runtime-Function-Error-Type": error.errorType, "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(error)).toString("base64") });
    return new Promise((resolve) => req.end(resolve));
  };
  return { stream, responseDone, fail, req };
}

/** A payload format 2.0 event, as a function URL builds it. */
function toEvent(req, body, requestId) {
  const url = new URL(req.url ?? "/", "http://function-url");
  const headers = {};
  const cookies = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === "cookie") cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const query = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const textual = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript))/.test(headers["content-type"] ?? "");
  const now = new Date();
  const event = {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "standin",
      domainName: headers.host,
      domainPrefix: "standin",
      http: { method: req.method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress, userAgent: headers["user-agent"] },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies.length) event.cookies = cookies;
  if (url.search) event.queryStringParameters = query;
  if (body.length) {
    event.body = textual ? body.toString("utf8") : body.toString("base64");
    event.isBase64Encoded = !textual;
  }
  return event;
}

const [modulePath, exportName = "handler"] = process.argv.slice(2);
if (!modulePath) throw new Error("usage: node lambda-runtime.mjs <module> [export]");
const handler = (await import(pathToFileURL(path.resolve(modulePath)).href))[exportName];
if (typeof handler !== "function") throw new Error(`${modulePath} exports no function ${exportName}`);
if (handler[HANDLER_STREAMING] !== STREAM_RESPONSE) throw new Error(`${exportName} is not wrapped in awslambda.streamifyResponse`);

/** requestId → the function URL response waiting for the function's bytes. */
const pending = new Map();

async function invoke(req, res, runtimeApi) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const requestId = randomUUID();
  const record = { requestId, contentType: undefined, raw: [], trailers: {} };
  pending.set(requestId, { res, record });
  const deadline = Date.now() + TIMEOUT_MS;
  const context = {
    awsRequestId: requestId,
    functionName: "agentcore-stream",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:agentcore-stream",
    memoryLimitInMB: "128",
    logGroupName: "/aws/lambda/agentcore-stream",
    logStreamName: "standin",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  const { stream, responseDone, fail, req: runtimeRequest } = createResponseStream(runtimeApi, requestId);
  let timer;
  const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), TIMEOUT_MS)));
  const run = (async () => {
    try {
      const result = handler(toEvent(req, Buffer.concat(chunks), requestId), stream, context);
      if (typeof result?.then !== "function") throw new Error("Streaming does not support non-async handlers.");
      await result;
      record.handlerSettled = "resolved";
      await responseDone;
      record.streamFinished = stream.writableFinished;
      if (!stream.writableFinished) throw new Error("Response stream is not finished.");
      return "ok";
    } catch (error) {
      record.handlerSettled ??= "rejected";
      record.error = `${error?.name}: ${error?.message}`;
      if (!runtimeRequest.destroyed && !runtimeRequest.writableEnded) await fail(error);
      return "error";
    }
  })();
  record.outcome = await Promise.race([run, timedOut]);
  clearTimeout(timer);
  if (record.outcome === "timeout") {
    record.error = `Task timed out after ${(TIMEOUT_MS / 1000).toFixed(2)} seconds`;
    runtimeRequest.destroy();
  }
  // the function URL's response ends with the function's stream (or is cut when it did not end)
  if (!res.writableEnded) {
    if (!res.headersSent && !res.destroyed) res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ Message: "Internal Server Error" }));
    else res.destroy();
  }
  pending.delete(requestId);
  process.stdout.write(`invocation ${JSON.stringify({ ...record, raw: Buffer.concat(record.raw).toString("base64") })}\n`);
}

/** The Runtime API's response route: the function's bytes go to the waiting function URL response. */
function receive(req, res, requestId) {
  const entry = pending.get(requestId);
  if (!entry) {
    res.writeHead(404).end();
    return;
  }
  const { res: out, record } = entry;
  record.contentType = req.headers["content-type"];
  const framed = record.contentType === METADATA_PRELUDE_CONTENT_TYPE;
  let head = Buffer.alloc(0);
  let started = !framed;
  if (!framed) out.writeHead(200, { "content-type": record.contentType, "x-amzn-requestid": requestId });
  out.on("close", () => {
    if (!out.writableFinished && ON_DISCONNECT === "reset") req.socket.destroy();
  });
  req.on("data", (chunk) => {
    record.raw.push(chunk);
    if (out.destroyed) return; // the caller went away: the bytes are dropped
    if (started) {
      out.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const at = head.indexOf(Buffer.alloc(DELIMITER_LEN));
    if (at < 0) return;
    const prelude = JSON.parse(head.subarray(0, at).toString("utf8"));
    const headers = { ...(prelude.headers ?? {}), "x-amzn-requestid": requestId };
    if (prelude.cookies?.length) headers["set-cookie"] = prelude.cookies;
    out.writeHead(prelude.statusCode ?? 200, headers);
    started = true;
    const rest = head.subarray(at + DELIMITER_LEN);
    if (rest.length) out.write(rest);
  });
  req.on("end", () => {
    record.trailers = req.trailers;
    if (!out.destroyed) {
      if (!started) out.writeHead(200, { "x-amzn-requestid": requestId });
      out.end();
    }
    res.writeHead(202, { "content-type": "application/json" }).end('{"status":"OK"}');
  });
  req.on("error", () => undefined);
}

const server = http.createServer((req, res) => {
  const match = RESPONSE_PATH.exec(req.url ?? "");
  if (match && req.method === "POST") receive(req, res, match[1]);
  else void invoke(req, res, origin).catch((error) => {
    console.error(error);
    res.destroy();
  });
});
let origin = "";
server.listen(0, "127.0.0.1", () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening on ${origin}`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
