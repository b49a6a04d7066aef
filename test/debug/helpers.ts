// Shared by the debugger's tests: building the adapter, launch fixtures, the launch sequence.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEAD_FUNCTIONS, DeadCodeGuest } from './guests';

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

/**
 * Arms `n` breakpoints of mixed kinds on a deadCodeGuest, none of which its loop hits: source
 * lines, instructions and guest functions in the dead code, hypercall: and vmexit: breakpoints
 * and the exception filters with conditions that are false. (`n` ≥ 10; use in launchTo's setup.)
 */
export async function armMixed(dc: DebugClient, g: DeadCodeGuest, n: number): Promise<void> {
  if (n === 0) return;
  const filters = [
    { filterId: 'hypercall', condition: 'nr == 1000' },
    { filterId: 'ring', condition: 'from == 2' },
    { filterId: 'fault', condition: 'vector == 99' },
    { filterId: 'event', condition: 'port == 4095' },
  ];
  const rest = n - filters.length;
  const fn = Math.max(1, Math.floor(rest / 5));
  const insn = fn;
  const hyper = Math.max(1, Math.floor(rest / 10));
  const vmexit = Math.max(1, Math.floor(rest / 10));
  const line = rest - fn - insn - hyper - vmexit;
  const last = DEAD_FUNCTIONS - 1;
  // Lines and symbols resolve (verify) when the toolstack has built the domain.
  await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: Array.from({ length: line }, (_, i) => ({ line: g.fnLine(i % DEAD_FUNCTIONS, 1 + Math.floor(i / DEAD_FUNCTIONS)) })) });
  await dc.customRequest('setInstructionBreakpoints', {
    breakpoints: Array.from({ length: insn }, (_, i) => ({ instructionReference: `d1:gva:0x${(g.fnAddress(last - (i % DEAD_FUNCTIONS)) + 8).toString(16)}` })),
  });
  await dc.setFunctionBreakpointsRequest({
    breakpoints: [
      ...Array.from({ length: fn }, (_, i) => ({ name: `f${last - (i % DEAD_FUNCTIONS)}` })),
      ...Array.from({ length: hyper }, (_, i) => ({ name: i % 2 ? 'hypercall:sched_op' : 'hypercall:event_channel_op', condition: `cmd == ${1000 + i}` })),
      ...Array.from({ length: vmexit }, (_, i) => ({ name: i % 2 ? 'vmexit:CPUID' : 'vmexit:IO_INSTRUCTION', condition: `rip == ${i}` })),
    ],
  });
  await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: filters });
}
