// examples/xtf: its launch configuration starts XTF's test-pv32pae-selftest from ../shared/xtf,
// a `hypercall:set_trap_table` breakpoint stops it, and the call stack names the kernel's
// own (ELF symbol) functions below the xen: frame.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchTo, root, useAdapter } from './helpers';
import { xtfDir } from '../loader/shared-dir';

const exampleDir = path.join(root, 'examples', 'xtf');

interface Launch {
  configurations: Array<Record<string, unknown> & { domains: string[] }>;
}

/** The example's one configuration with ${workspaceFolder} substituted, as VS Code does. */
function configuration(): Record<string, unknown> & { domains: string[] } {
  const text = fs.readFileSync(path.join(exampleDir, '.vscode', 'launch.json'), 'utf8');
  const launch = JSON.parse(text.split('${workspaceFolder}').join(exampleDir.split(path.sep).join('/'))) as Launch;
  assert.strictEqual(launch.configurations.length, 1);
  return launch.configurations[0];
}

describe('examples/xtf: debugging an XTF kernel', function () {
  this.timeout(60_000);
  const h = useAdapter();

  it('its launch.json names ../shared/xtf/test-pv32pae-selftest.cfg beside the repository', () => {
    const c = configuration();
    assert.strictEqual(c.type, 'xensim');
    assert.strictEqual(c.request, 'launch');
    assert.deepStrictEqual(c.domains.map((d) => path.resolve(d)), [path.resolve(root, '..', 'shared', 'xtf', 'test-pv32pae-selftest.cfg')]);
  });

  it('stops on hypercall:set_trap_table with the kernel\'s ELF symbols in the stack', async function () {
    const cfg = path.join(xtfDir, 'test-pv32pae-selftest.cfg');
    if (!fs.existsSync(cfg)) this.skip();
    // dom0 sets its trap table too: the condition picks the XTF domU (d1)
    // a helper's worktree sits one level deeper than CI's checkout: the same file, found by xtfDir
    const c = { ...configuration(), domains: [cfg], trace: undefined };
    const s = await launchTo(h.dc, c, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:set_trap_table', condition: 'domid == 1' }] }));
    assert.strictEqual(s.body.reason, 'function breakpoint');
    assert.match(s.body.description!, /^hypercall set_trap_table/);
    const frames: DebugProtocol.StackFrame[] = (await h.dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames;
    const names = frames.map((f) => f.name);
    assert.match(names[0], /^xen: set_trap_table/, names.join('\n'));
    const guest = frames.filter((f) => !f.name.startsWith('xen:'));
    assert.ok(guest.length > 0, names.join('\n'));
    // XTF's C function arch_init_traps makes the call through the hypercall page: the frames
    // are the kernel's ELF symbols (nm is the oracle), not bare addresses
    const nm = new Map(
      execFileSync('nm', [path.join(xtfDir, 'test-pv32pae-selftest')], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.split(' '))
        .filter((p) => p.length === 3)
        .map((p) => [p[2], parseInt(p[0], 16)] as const),
    );
    const symbolic = guest.map((f) => /^([A-Za-z_]\w*)/.exec(f.name)?.[1]).filter((n): n is string => n !== undefined);
    assert.ok(symbolic.includes('arch_init_traps') && symbolic.includes('hypercall_page'), names.join('\n'));
    for (const n of symbolic) assert.ok(nm.has(n), `${n} is not a symbol of the kernel`);
    const start = guest.find((f) => f.name.startsWith('arch_init_traps+'))!;
    assert.strictEqual(parseInt(/0x([0-9a-f]+)$/.exec(start.instructionPointerReference ?? '')?.[1] ?? 'NaN', 16) - nm.get('arch_init_traps')!, parseInt(/\+0x([0-9a-f]+)/.exec(start.name)?.[1] ?? 'NaN', 16), JSON.stringify(start));
    assert.match(start.instructionPointerReference ?? '', /^d1:/);
  });
});
