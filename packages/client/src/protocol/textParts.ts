/**
 * Strings kept to be joined once with `separator`, joined 1024 at a time as they come: a million short pieces (an
 * SSE event's data lines, a command's one-character output deltas) hold their text and a thousand strings, not a
 * million strings or a string node each, which cost many times their size.
 */
export class TextParts {
  readonly #pieces: string[] = [];
  #pending: string[] = [];

  constructor(readonly separator: string) {}

  add(text: string): void {
    if (this.#pending.push(text) === 1024) this.#join();
  }

  /** The pieces joined so far, each holding up to 1024 added strings with `separator` between them. */
  pieces(): string[] {
    this.#join();
    return this.#pieces;
  }

  text(): string {
    return this.pieces().join(this.separator);
  }

  #join(): void {
    if (this.#pending.length === 0) return;
    this.#pieces.push(this.#pending.join(this.separator));
    this.#pending = [];
  }
}
