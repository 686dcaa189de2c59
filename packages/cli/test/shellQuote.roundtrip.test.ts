import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { shellJoin, shellQuote } from "../src/shellQuote";

/** What bash makes of `printf '%s\0' <line>`: the words it passed, split on NUL. */
function wordsBashSees(line: string): string[] {
  const r = spawnSync("bash", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: "/nonexistent-home" } });
  expect(r.status).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

describe("shellJoin", () => {
  it("leaves plain words readable and quotes the rest", () => {
    expect(shellJoin(["ls", "-la", "/tmp/x.txt", "a=b", "~", "it's", ""])).toBe(`ls -la /tmp/x.txt 'a=b' '~' 'it'\\''s' ''`);
  });

  it("every word reaches bash unchanged (300 random argvs in one bash run)", () => {
    // shell metacharacters often, any other code point (no NUL, no lone surrogates) otherwise
    const specials = [..."$`\"'\\ \t\n\r*?[]{}~!#;&|<>()=%^,:@+-/.\x01\x7f"];
    const codePoint = fc.integer({ min: 1, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff);
    const unit = fc.oneof(fc.constantFrom(...specials), codePoint.map((c) => String.fromCodePoint(c)));
    const samples = fc.sample(fc.array(fc.string({ unit, maxLength: 12 }), { minLength: 1, maxLength: 6 }), { numRuns: 300, seed: 42 });
    // each line prints its word count first, so the NUL-separated output splits back into the samples
    const seen = wordsBashSees(samples.map((words) => `${words.length} ${shellJoin(words)}`).join("; printf '%s\\0' "));
    const got: string[][] = [];
    for (let i = 0; i < seen.length; i += Number(seen[i]) + 1) got.push(seen.slice(i + 1, i + 1 + Number(seen[i])));
    expect(got).toEqual(samples);
  });

  it("metacharacters that bash expands are quoted", () => {
    for (const word of ["$HOME", "`id`", "$(id)", "*", "?", "[a]", "{a,b}", "~", "a;b", "a|b", "a&b", "a>b", "a<b", "(", "!", "#x", "a\nb", "a\\b", '"', "'"]) {
      expect(wordsBashSees(shellQuote(word))).toEqual([word]);
    }
  });
});
