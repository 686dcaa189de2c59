export type OutputStream = "stdout" | "stderr";

export interface RunRequest {
  command: string;
  timeoutSeconds: number;
  /** Working directory (exec only). */
  cwd?: string;
  /** Aborts the run: the process is killed and the result no longer matters. */
  signal: AbortSignal;
  /** Called with output as it comes; the runner waits for it, which gives backpressure. */
  onOutput(stream: OutputStream, text: string): Promise<void>;
}

export interface RunResult {
  exitCode: number;
  status: "COMPLETED" | "TIMED_OUT";
}

export type Runner = (req: RunRequest) => Promise<RunResult>;
