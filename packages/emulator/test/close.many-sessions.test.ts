import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESSION, runCommand, sessionId, start } from "./helpers";

describe("close() with many sessions", () => {
  it("ends hundreds of exec sessions, their folders included, well within 5 s", async () => {
    const base = mkdtempSync(join(tmpdir(), "emu-many-"));
    const h = await start({ exec: true, workDir: base });
    try {
      const ids = Array.from({ length: 300 }, (_, i) => sessionId(`many${i}`));
      // a few at a time: each command is a real bash process
      for (let i = 0; i < ids.length; i += 10) {
        await Promise.all(ids.slice(i, i + 10).map((sid) => runCommand(h, { command: "echo x > f" }, { [SESSION]: sid })));
      }
      expect(h.emu.sessionIds()).toHaveLength(ids.length);
      const started = Date.now();
      await h.emu.close();
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(5000);
      expect(readdirSync(base)).toEqual([]);
    } finally {
      await h.emu.close();
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);
});
