export type OutputStream = "stdout" | "stderr";

export interface RunRequest {
  command: string;
  timeoutSeconds: number;
  /** Working directory (exec only). */
  cwd?: string;
  /**
   * exec: the value of AGENTCORE_EMULATOR_RUN in the command's environment; every process still carrying it
   * when the command ends is killed, even one that left the process group.
   */
  processTag?: string;
  /** exec: the command's whole environment (the marker is added); default: the emulator's allow-listed variables. */
  env?: Record<string, string>;
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
