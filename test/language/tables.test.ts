import * as assert from 'assert';
import * as fs from 'fs';
import { HYPERCALLS, hypercall } from '../../src/language/hypercalls';
import { CONDITIONS, INSTRUCTIONS, instruction } from '../../src/language/instructions';
import { XL_KEYS } from '../../src/language/xlKeys';

const XEN_H = '/usr/include/xen/xen.h';

describe('language tables', () => {
  it('numbers hypercalls as xen.h does (current ABI, not the compat aliases)', function () {
    if (!fs.existsSync(XEN_H)) this.skip();
    const header = fs.readFileSync(XEN_H, 'utf8') + fs.readFileSync('/usr/include/xen/arch-x86/xen-mca.h', 'utf8');
    const numbers = new Map<string, number>();
    const arch = new Map<string, number>();
    for (const m of header.matchAll(/^#define __HYPERVISOR_(\w+)\s+(\d+)\b/gm)) {
      if (!numbers.has(m[1])) numbers.set(m[1], Number(m[2]));
      if (m[1].startsWith('arch_')) arch.set(m[1], Number(m[2]));
    }
    for (const m of header.matchAll(/^#define __HYPERVISOR_(\w+)\s+__HYPERVISOR_(arch_\d)\b/gm)) numbers.set(m[1], arch.get(m[2])!);
    for (const h of HYPERCALLS) assert.strictEqual(h.number, numbers.get(h.name), h.name);
    const ours = new Set(HYPERCALLS.map((h) => h.name));
    for (const [name, n] of numbers) if (n < 48 && !ours.has(name)) assert.fail(`xen.h has ${name} = ${n}, the table does not`);
    assert.strictEqual(hypercall('__HYPERVISOR_sched_op')!.number, 29);
    assert.strictEqual(hypercall('HYPERCALL_console_io')!.number, 18);
  });

  it('gives every 32-bit hypercall at most five register arguments', () => {
    for (const h of HYPERCALLS) assert.ok(h.args.length <= 5, h.name);
  });

  it('knows each mnemonic once, all 30 condition codes, and prefixes', () => {
    assert.strictEqual(new Set(INSTRUCTIONS.map((i) => i.mnemonic)).size, INSTRUCTIONS.length);
    assert.strictEqual(CONDITIONS.length, 30);
    for (const [cc] of CONDITIONS) for (const base of ['j', 'set', 'cmov']) assert.ok(instruction(base + cc), base + cc);
    assert.strictEqual(instruction('REP')!.group, 'prefix');
    assert.strictEqual(instruction('eax'), undefined);
  });

  it('knows each xl key once, with values only for enumerations', () => {
    assert.strictEqual(new Set(XL_KEYS.map((k) => k.key)).size, XL_KEYS.length);
    for (const k of ['name', 'type', 'memory', 'vcpus', 'kernel', 'cmdline', 'on_poweroff', 'on_reboot', 'on_crash', 'cpus', 'vif', 'disk', 'serial', 'firmware_override', 'max_event_channels']) {
      assert.ok(XL_KEYS.some((x) => x.key === k), k);
    }
    assert.deepStrictEqual(XL_KEYS.find((k) => k.key === 'type')!.values, ['pv', 'pvh', 'hvm']);
  });
});
