/** Characters a terminal may act on rather than print: C0/C1 controls, DEL, bidi and zero-width format marks. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/gu;

/**
 * A user's argument made safe to echo in a message: unprintable characters become visible escapes (`\x1b`,
 * `\u202e`), so a pasted escape sequence cannot recolour, move or rewrite the terminal. Never shortened: a cut
 * secret would no longer match the scrubbing that keeps tokens out of stderr.
 */
export function shown(value: string): string {
  return value.replace(UNPRINTABLE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
