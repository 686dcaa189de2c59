import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const SRC = join(__dirname, "..", "src");

/** Relative imports of every module in src, type-only imports included (they tie modules together too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(SRC).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(SRC, file), "utf8");
    const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+"\.\/([^"]+)"/g)].map((m) => `${m[1]}.ts`);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("module structure", () => {
  test("the graph is read (sanity: server imports the pipeline, auth imports types)", () => {
    const graph = importGraph();
    expect(graph.get("server.ts")).toContain("pipeline.ts");
    expect(graph.get("auth.ts")).toContain("types.ts");
  });

  test("no import cycle among the emulator's modules (types.ts is a leaf)", () => {
    const graph = importGraph();
    expect(graph.get("types.ts")).toEqual([]);
    expect(findCycle(graph)).toBeUndefined();
  });

  test("handlers get a parsed request: none reads the body or acquires a session itself", () => {
    for (const file of ["invocations.ts", "commands.ts", "stopSession.ts"]) {
      const text = readFileSync(join(SRC, file), "utf8");
      expect(text).not.toMatch(/readBody\(|sessions\.acquire\(|\.req\.headers/);
    }
  });
});
