/** JWT-shaped text, as the SDK redacts it; covers a token the CLI never learned (a typo'd flag, a stray argument). */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Tokens the command line or environment may carry, known before parsing succeeds. */
export function candidateSecrets(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  if (env.AGENTCORE_TOKEN) found.push(env.AGENTCORE_TOKEN);
  // --sigv4 reads AWS credentials from the environment: their secret parts never reach stderr either
  if (env.AWS_SECRET_ACCESS_KEY) found.push(env.AWS_SECRET_ACCESS_KEY);
  if (env.AWS_SESSION_TOKEN) found.push(env.AWS_SESSION_TOKEN);
  argv.forEach((arg, i) => {
    for (const flag of ["--token", "--bearer-token"]) {
      if (arg === flag && i + 1 < argv.length) found.push(argv[i + 1]);
      else if (arg.startsWith(`${flag}=`)) found.push(arg.slice(flag.length + 1));
    }
  });
  return found;
}

/** A scrubber for everything the CLI writes to stderr; secrets shorter than 4 characters would mangle ordinary text. */
export function redactor(): { add(secret: string): void; scrub(text: string): string } {
  const secrets = new Set<string>();
  return {
    add: (secret) => {
      if (secret.length >= 4) secrets.add(secret);
    },
    scrub: (text) => {
      let out = text;
      for (const secret of secrets) out = out.split(secret).join("[REDACTED]");
      return out.replace(JWT, "[REDACTED]");
    },
  };
}
