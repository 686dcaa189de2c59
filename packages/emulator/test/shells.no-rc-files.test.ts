import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../src";
import { sessionId } from "./helpers";
import { Client, SESSION_HEADER, until, wsBase } from "./wsHelpers";
import { scriptInstalled } from "../../client/test/helpers/script";

/**
 * A shell starts clean, as a container's does: the host's ~/.bashrc is not read (a slow or locking one, like
 * pyenv's rehash waiting on a stale lock, used to stall every shell for a minute).
 */
const hasScript = scriptInstalled("shells.no-rc-files.test");

(hasScript ? test : test.skip)("the host's ~/.bashrc and ~/.bash_profile are not run by a /ws/shells bash", async () => {
  const home = mkdtempSync(join(tmpdir(), "emulator-home-"));
  // an rc file that would announce itself, then hang the shell
  writeFileSync(join(home, ".bashrc"), "echo RC-FILE-WAS-READ\nsleep 600\n");
  writeFileSync(join(home, ".bash_profile"), "echo PROFILE-WAS-READ\nsleep 600\n");
  const previous = process.env.HOME;
  process.env.HOME = home;
  let emu: Emulator | undefined;
  try {
    emu = await startEmulator({ exec: true });
    const token = await emu.issueToken();
    const client = await Client.open(`${wsBase(emu)}/ws/shells?shellId=no-rc`, { token, headers: { [SESSION_HEADER]: sessionId("sh-norc") } });
    client.sendFrame(0x00, "printf 'clean-%s\\n' \"$HOME\"\n");
    await until(() => client.channel(0x01).includes(`clean-${home}`), "the command's output");
    expect(client.channel(0x01)).not.toMatch(/RC-FILE-WAS-READ|PROFILE-WAS-READ/);
    client.sendFrame(0x00, "exit\n");
    expect((await client.closed).code).toBe(1000);
  } finally {
    process.env.HOME = previous;
    await emu?.close();
    rmSync(home, { recursive: true, force: true });
  }
});
