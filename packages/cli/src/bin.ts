#!/usr/bin/env node
import { main } from "./main";

const exit = (code: number) => process.exit(code);

// An explicit exit once output is flushed: a lingering socket or stdin must never keep the CLI alive.
void main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, exit }).then(exit, (e) => {
  process.stderr.write(`agentcore: internal error: ${e instanceof Error ? e.name : "Error"}\n`);
  exit(1);
});
