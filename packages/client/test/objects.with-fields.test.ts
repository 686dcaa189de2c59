/** withFields replaces `{ ...base, ...fields }` on the per-call path: it must give the same object. */
import { withFields } from "../src/protocol/objects";

const spread = <T extends object, F extends object>(base: T, fields: F) => ({ ...base, ...fields });

describe("withFields", () => {
  it("copies own enumerable keys, symbols included, in order, with fields last and winning", () => {
    const sym = Symbol("s");
    const base = { a: 1, b: "two", [sym]: 3, 10: "ten" } as Record<PropertyKey, unknown>;
    Object.defineProperty(base, "hidden", { value: "not enumerable", enumerable: false });
    const out = withFields(base, { b: "replaced", c: true });
    expect(out).toEqual(spread(base, { b: "replaced", c: true }));
    expect(Reflect.ownKeys(out)).toEqual(Reflect.ownKeys(spread(base, { b: "replaced", c: true })));
    expect(out[sym as keyof typeof out]).toBe(3);
    expect(Object.hasOwn(out, "hidden")).toBe(false);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out).not.toBe(base);
  });

  it("reads a getter once and copies its value", () => {
    let reads = 0;
    const base = {
      get now() {
        reads++;
        return "value";
      },
    };
    const out = withFields(base, { x: 1 });
    expect(reads).toBe(1);
    expect(Object.getOwnPropertyDescriptor(out, "now")).toMatchObject({ value: "value", writable: true, enumerable: true });
  });

  it("keeps an own __proto__ key as a key (JSON.parse makes one), never as the copy's prototype", () => {
    const headers = JSON.parse('{"__proto__":{"polluted":"yes"},"accept":"*/*"}') as Record<string, unknown>;
    const out = withFields(headers, { authorization: "Bearer x" }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out.polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(["__proto__", "accept", "authorization"]);
    const fromFields = withFields({ a: 1 }, JSON.parse('{"__proto__":"x"}') as object);
    expect(Object.keys(fromFields)).toEqual(["a", "__proto__"]);
    expect(Object.getPrototypeOf(fromFields)).toBe(Object.prototype);
  });
});
