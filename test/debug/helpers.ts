// Shared by the debugger's tests: building the adapter, launch fixtures, the launch sequence.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const root = path.resolve(__dirname, '..', '..');
export const adapter = path.join(root, 'dist', 'debugAdapter.js');
export const cli = path.join(root, 'dist', 'cli.js');

/** Builds dist/ when it is missing or older than the debugger's sources (npm test builds first). */
export function ensureBuilt(): void {
  const newest = ['src/debug', 'src/cli', 'src/xen'].flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith('.ts')).map((f) => fs.statSync(path.join(root, d, f)).mtimeMs));
  const stale = (out: string) => !fs.existsSync(out) || fs.statSync(out).mtimeMs < Math.max(...newest);
  if (stale(adapter) || stale(cli)) execFileSync('node', ['esbuild.js'], { cwd: root, stdio: 'inherit' });
}

/** A folder with a kernel and configs good and bad (the bad one has its error at line 3, column 10). */
export function launchFixture(): { dir: string; good: string; bad: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-launch-'));
  fs.writeFileSync(path.join(dir, 'kernel.bin'), Buffer.from([0xf4]));
  fs.writeFileSync(path.join(dir, 'good.cfg'), 'name = "web"\nkernel = "kernel.bin"\nmemory = 16\n');
  fs.writeFileSync(path.join(dir, 'bad.cfg'), 'name = "db"\nkernel = "kernel.bin"\nmemory = "lots"\n');
  return { dir, good: path.join(dir, 'good.cfg'), bad: path.join(dir, 'bad.cfg') };
}

/** initialize → launch → (initialized) setup → configurationDone → the first stop. */
export async function launchTo(dc: DebugClient, args: Record<string, unknown>, setup: (dc: DebugClient) => Promise<unknown> = async () => undefined): Promise<DebugProtocol.StoppedEvent> {
  await dc.initializeRequest();
  const stopped = dc.waitForEvent('stopped', 15000) as Promise<DebugProtocol.StoppedEvent>;
  const configured = dc.waitForEvent('initialized', 15000).then(async () => {
    await setup(dc);
    await dc.configurationDoneRequest();
  });
  await Promise.all([dc.launchRequest(args as DebugProtocol.LaunchRequestArguments), configured]);
  return stopped;
}

/** Mocha hooks giving each test a fresh adapter process; read `.dc` inside tests. */
export function useAdapter(): { dc: DebugClient } {
  const h = {} as { dc: DebugClient };
  before(ensureBuilt);
  beforeEach(async () => {
    h.dc = new DebugClient('node', adapter, 'xensim');
    await h.dc.start();
  });
  afterEach(() => h.dc.stop());
  return h;
}
