/** Characters bash gives no meaning to anywhere in a word (`=`, `~`, `{` are left out: assignment, tilde and brace expansion). */
const SAFE = /^[A-Za-z0-9_\/.,:+@%^-]+$/;

/** Quotes one word for bash so it arrives as exactly this argument. */
export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one bash command line, each word quoted as needed. */
export function shellJoin(words: string[]): string {
  return words.map(shellQuote).join(" ");
}
