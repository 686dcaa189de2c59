/** A node of a `LinkedList`: its links live on the node itself. */
export interface Linked<N> {
  prev: N | undefined;
  next: N | undefined;
}

/**
 * A doubly linked list through its nodes: adding and removing touch two links, with no allocation and no hash
 * table (a `Set`'s add and delete of a new object cost ~0.2 µs in Node 20, hashing it, and its deleted slots
 * make it rehash now and then). Used where something is added and removed once or twice per call.
 */
export class LinkedList<N extends Linked<N>> {
  first: N | undefined = undefined;

  /** Whether `node` is in this list (a node is in one list at most). */
  has(node: N): boolean {
    return node.prev !== undefined || this.first === node;
  }

  /** Adds `node` at the front. */
  add(node: N): void {
    node.prev = undefined;
    node.next = this.first;
    if (this.first) this.first.prev = node;
    this.first = node;
  }

  /** Takes `node` out; one not in the list is left as it is. */
  remove(node: N): void {
    if (!this.has(node)) return;
    const { prev, next } = node;
    if (prev) prev.next = next;
    else this.first = next;
    if (next) next.prev = prev;
    node.prev = undefined;
    node.next = undefined;
  }
}
