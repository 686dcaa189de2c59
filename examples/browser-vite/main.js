// Streams an agent's reply into the page token by token, and stops the session on demand, calling AgentCore
// Runtime (or the emulator) straight from the browser with a bearer token.
//
// Settings, see README.md: `?endpoint=…&arn=…` in the query (or VITE_AGENTCORE_ENDPOINT / VITE_AGENT_ARN at build
// time), the token in the fragment (`#token=…`, which browsers never send to a server) or typed into the form.
// The token is never part of the bundle.
import { InvokeStreamCommand, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
$("endpoint").value = query.get("endpoint") ?? import.meta.env.VITE_AGENTCORE_ENDPOINT ?? "";
$("arn").value = query.get("arn") ?? import.meta.env.VITE_AGENT_ARN ?? "";
$("token").value = fragment.get("token") ?? "";
// keep the token out of the address bar, the history and anything the page shares
if (fragment.has("token")) history.replaceState(null, "", location.pathname + location.search);

let client;
let clientKey;
/** One client per endpoint and token, reused (pooled connections) while they stay the same. */
function getClient() {
  const endpoint = $("endpoint").value.trim() || undefined;
  const token = $("token").value;
  const key = JSON.stringify([endpoint, token]);
  if (key !== clientKey) {
    client?.destroy();
    client = new RuntimeClient({ endpoint, token });
    clientKey = key;
  }
  return client;
}

/** The conversation's session: created by the first prompt, kept for the next ones, cleared by Stop. */
let sessionId;
/** The reply being streamed: its abort controller, and whether Stop ended it. */
let current;

function show(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text;
}

$("chat").addEventListener("submit", async (e) => {
  e.preventDefault();
  const prompt = $("prompt").value;
  sessionId ??= crypto.randomUUID();
  $("session").textContent = sessionId;
  $("stop").disabled = false;
  $("send").disabled = true;
  const reply = document.createElement("p");
  $("output").append(reply);
  const run = (current = { abort: new AbortController(), stopped: false });
  show("streaming", "streaming…");
  try {
    const { stream } = await getClient().send(
      new InvokeStreamCommand({ runtimeArn: $("arn").value.trim(), sessionId, payload: { prompt } }),
      { abortSignal: run.abort.signal },
    );
    for await (const event of stream) reply.append(event.text);
    if (!run.stopped) show("done", "done");
  } catch (error) {
    // once the session is stopped the service ends the stream: that is no error
    if (!run.stopped) show("error", `${error.name}: ${error.message}`);
  } finally {
    $("send").disabled = false;
  }
});

$("stop").addEventListener("click", async () => {
  if (!sessionId) return;
  const stopping = sessionId;
  const run = current;
  if (run) run.stopped = true;
  $("stop").disabled = true;
  show("stopping", "stopping the session…");
  try {
    await getClient().send(new StopSessionCommand({ runtimeArn: $("arn").value.trim(), sessionId: stopping }));
    run?.abort.abort();
    sessionId = undefined;
    show("stopped", `session ${stopping} stopped`);
  } catch (error) {
    if (run) run.stopped = false;
    $("stop").disabled = false;
    show("error", `${error.name}: ${error.message}`);
  }
});
