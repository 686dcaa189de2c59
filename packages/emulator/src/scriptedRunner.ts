import type { OutputStream, RunRequest, RunResult } from "./runner";
import { longTimeout } from "./timers";
import { sleep } from "./util";

type Connector = ";" | "&&" | "||";

interface Statement {
  words: string[];
  stream: OutputStream;
  connector: Connector;
}

class ScriptSyntaxError extends Error {}

/** Splits a command line into statements and words, with shell-like quoting and `>&2` redirection. */
function parse(command: string): Statement[] {
  const statements: Statement[] = [];
  let current: Statement = { words: [], stream: "stdout", connector: ";" };
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) current.words.push(word);
    word = "";
    inWord = false;
  };
  const endStatement = (next: Connector) => {
    endWord();
    statements.push(current);
    current = { words: [], stream: "stdout", connector: next };
  };
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    const rest = command.slice(i);
    if (ch === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) throw new ScriptSyntaxError("unexpected EOF while looking for matching `''");
      word += command.slice(i + 1, close);
      inWord = true;
      i = close;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === "\\" && j + 1 < command.length && '"\\$`'.includes(command[j + 1])) j++;
        word += command[j];
      }
      if (j >= command.length) throw new ScriptSyntaxError("unexpected EOF while looking for matching `\"'");
      inWord = true;
      i = j;
    } else if (ch === "\\" && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (rest.startsWith(">&2") || (rest.startsWith("1>&2") && !inWord)) {
      endWord();
      current.stream = "stderr";
      i += rest.startsWith("1") ? 3 : 2;
    } else if (rest.startsWith("&&") || rest.startsWith("||")) {
      endStatement(rest.slice(0, 2) as Connector);
      i++;
    } else if (ch === ";" || ch === "\n") {
      endStatement(";");
    } else if (/\s/.test(ch)) {
      endWord();
    } else {
      word += ch;
      inWord = true;
    }
  }
  endStatement(";");
  return statements.filter((s) => s.words.length > 0);
}

function unescape(text: string): string {
  return text.replace(/\\([nt\\])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
}

/**
 * Answers commands without executing anything: `echo [-n] TEXT` (stdout, or stderr with `>&2`), `printf TEXT`
 * (\n \t escapes), `exit N`, `sleep SECONDS` (honours the timeout), `yes-bytes N` (N bytes of "y\n"),
 * `true`, `false`; statements joined by `;`, `&&`, `||`; anything else prints "command not found" and exits 127.
 */
export async function scriptedRunner(req: RunRequest): Promise<RunResult> {
  const timeout = new AbortController();
  const timer = longTimeout(() => timeout.abort(), req.timeoutSeconds * 1000);
  const both = AbortSignal.any([req.signal, timeout.signal]);
  const timedOut = (): RunResult => ({ exitCode: -1, status: "TIMED_OUT" });
  try {
    let statements: Statement[];
    try {
      statements = parse(req.command);
    } catch (err) {
      await req.onOutput("stderr", `bash: -c: line 1: ${(err as Error).message}\n`);
      return { exitCode: 2, status: "COMPLETED" };
    }
    let status = 0;
    for (const stmt of statements) {
      if (both.aborted) return timedOut();
      if ((stmt.connector === "&&" && status !== 0) || (stmt.connector === "||" && status === 0)) continue;
      const [name, ...args] = stmt.words;
      switch (name) {
        case "echo": {
          const noNewline = args[0] === "-n";
          await req.onOutput(stmt.stream, `${(noNewline ? args.slice(1) : args).join(" ")}${noNewline ? "" : "\n"}`);
          status = 0;
          break;
        }
        case "printf":
          await req.onOutput(stmt.stream, unescape(args.join(" ")));
          status = 0;
          break;
        case "exit": {
          const code = args[0] === undefined ? status : Number.parseInt(args[0], 10);
          return { exitCode: Number.isNaN(code) ? 2 : ((code % 256) + 256) % 256, status: "COMPLETED" };
        }
        case "sleep": {
          const seconds = Number(args[0]);
          if (!Number.isFinite(seconds) || seconds < 0) {
            await req.onOutput("stderr", `sleep: invalid time interval '${args[0] ?? ""}'\n`);
            status = 1;
            break;
          }
          await sleep(seconds * 1000, both);
          if (both.aborted) return timedOut();
          status = 0;
          break;
        }
        case "yes-bytes": {
          let remaining = Number.parseInt(args[0] ?? "0", 10) || 0;
          const block = "y\n".repeat(32768);
          while (remaining > 0) {
            if (both.aborted) return timedOut();
            const size = Math.min(remaining, block.length);
            await req.onOutput(stmt.stream, block.slice(0, size));
            remaining -= size;
          }
          status = 0;
          break;
        }
        case "true":
        case ":":
          status = 0;
          break;
        case "false":
          status = 1;
          break;
        default:
          await req.onOutput("stderr", `bash: line 1: ${name}: command not found\n`);
          status = 127;
      }
    }
    return { exitCode: status, status: "COMPLETED" };
  } finally {
    timer.clear();
  }
}
