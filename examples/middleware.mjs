// Custom middleware (AWS SDK v3 MiddlewareStack semantics): time every call, and add a header to every request.
//
//   AGENT_ARN=… AGENTCORE_TOKEN=… node examples/middleware.mjs
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";

const client = new RuntimeClient({ token: process.env.AGENTCORE_TOKEN });
const runtimeArn = process.env.AGENT_ARN;

// build step: the request exists and is sent on every attempt; custom headers reach the agent
client.middlewareStack.add(
  (next) => async (args) => {
    args.request.headers["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"] = process.env.TENANT ?? "acme";
    return next(args);
  },
  { step: "build", name: "tenantHeader" },
);

// initialize step: wraps the whole call, retries included
client.middlewareStack.add(
  (next, context) => async (args) => {
    const started = performance.now();
    try {
      const result = await next(args);
      console.log(`${context.commandName} ok in ${Math.round(performance.now() - started)} ms, ${result.output.$metadata.attempts} attempt(s)`);
      return result;
    } catch (error) {
      console.log(`${context.commandName} failed in ${Math.round(performance.now() - started)} ms: ${error.name}`);
      throw error;
    }
  },
  { step: "initialize", name: "timing" },
);

try {
  const reply = await client.send(new InvokeCommand({ runtimeArn, payload: { prompt: "timed", echoHeaders: true }, accept: "application/json" }));
  console.log(`reply: ${reply.json?.response}`);
  console.log(`tenant header seen by the agent: ${reply.json?.headers?.["x-amzn-bedrock-agentcore-runtime-custom-tenant"]}`);
} finally {
  client.destroy();
}
