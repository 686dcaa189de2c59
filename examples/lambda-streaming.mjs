// An AWS Lambda function that streams an agent's reply to the caller as server-sent events, through a Lambda
// function URL in RESPONSE_STREAM invoke mode. The bearer token stays in the function; a browser reads the stream
// with `readSSE(await fetch(functionUrl + "?prompt=…"))` (or EventSource).
//
// Deploy (Node.js 20 or later managed runtime), handler `lambda-streaming.handler`:
//   - bundle @agentcore-runtime/client with the function (zip this file with node_modules, or bundle it with esbuild);
//   - environment: AGENT_ARN, and either OAUTH_TOKEN_URL + OAUTH_CLIENT_ID + OAUTH_CLIENT_SECRET (+ OAUTH_SCOPES),
//     client credentials the function exchanges for tokens and refreshes, or AGENTCORE_TOKEN, a fixed token
//     (fine for a try-out: it expires). Keep the client secret in Secrets Manager or encrypted variables in production;
//   - aws lambda create-function-url-config --function-name … --auth-type AWS_IAM --invoke-mode RESPONSE_STREAM
//     (and a function timeout long enough for your agent's replies).
//
// Request: GET ?prompt=…&session=…, or POST {"prompt": "…", "sessionId": "…"}.
// Response: 200 text/event-stream; an agent error, or the function running out of time, arrives as the last event
// (`event: error`, which readSSE raises as a typed error). A call that fails before streaming is a JSON error.
//
// `awslambda` is a global of Lambda's Node.js runtime: nothing is imported for it.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InvokeStreamCommand, RuntimeClient, fromOAuthClientCredentials } from "@agentcore-runtime/client";

/** Time kept back from the function's timeout to end the response properly rather than be cut off. */
const END_BEFORE_TIMEOUT_MS = 1000;

// Created once per execution environment and reused by the invocations it serves (pooled connections, cached token).
const client = new RuntimeClient({
  token: process.env.OAUTH_TOKEN_URL
    ? fromOAuthClientCredentials({
        tokenUrl: process.env.OAUTH_TOKEN_URL,
        clientId: process.env.OAUTH_CLIENT_ID,
        clientSecret: process.env.OAUTH_CLIENT_SECRET,
        scopes: process.env.OAUTH_SCOPES || undefined,
      })
    : process.env.AGENTCORE_TOKEN,
});

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const request = readRequest(event);
  if (!request) {
    sendJson(responseStream, 400, { error: "BadRequest", message: 'send ?prompt=… or a JSON body {"prompt": "…"}' });
    return;
  }
  // Lambda does not tell a function that its caller went away (writes keep succeeding until the invocation ends),
  // so the function's own deadline bounds the agent's stream: cancelled in time, it ends with `event: error`.
  const deadline = AbortSignal.timeout(Math.max(context.getRemainingTimeInMillis() - END_BEFORE_TIMEOUT_MS, 1));
  let stream;
  try {
    ({ stream } = await client.send(
      new InvokeStreamCommand({ runtimeArn: process.env.AGENT_ARN, sessionId: request.sessionId, payload: { prompt: request.prompt } }),
      { abortSignal: deadline },
    ));
  } catch (error) {
    // a service error keeps its status; a bad session id is the caller's fault; out of time is a gateway timeout
    const statusCode = error.statusCode ?? { InvalidParameterError: 400, DeadlineExceededError: 504 }[error.name] ?? 502;
    sendJson(responseStream, statusCode, { error: error.name, message: error.message });
    return;
  }
  const sse = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
  // pipeline ends the response when the agent's stream ends and, should the response stream fail, cancels the
  // agent's stream instead of reading it to the end.
  await pipeline(Readable.fromWeb(stream.toSSEStream()), sse).catch((error) => {
    console.warn(`response stream failed, agent stream cancelled: ${error.code ?? error.name}`);
  });
});

/** The prompt and session from a function URL event (payload format 2.0), or undefined when there is no prompt. */
function readRequest(event) {
  const query = event.queryStringParameters ?? {};
  let body = {};
  if (event.body) {
    try {
      body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body);
    } catch {
      return undefined;
    }
  }
  const prompt = body?.prompt ?? query.prompt;
  if (typeof prompt !== "string" || !prompt) return undefined;
  return { prompt, sessionId: body?.sessionId ?? query.session };
}

function sendJson(responseStream, statusCode, body) {
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode, headers: { "content-type": "application/json" } });
  // write, then end(): the status and headers go out before the first write; end(chunk) would skip them
  out.write(JSON.stringify(body));
  out.end();
}
