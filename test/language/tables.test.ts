import * as assert from 'assert';
import { HYPERCALLS, hypercall } from '../../src/language/hypercalls';
import { CONDITIONS, INSTRUCTIONS, instruction } from '../../src/language/instructions';
import { XL_KEYS } from '../../src/language/xlKeys';
import { HYPERCALLS as SPECS } from '../../src/xen/abi';
import { KEYS, UNSIMULATED_KEYS } from '../../src/xen/config';

describe('language tables', () => {
  it('describes every hypercall of the ABI table except the arch_N slots', () => {
    const named = new Set(HYPERCALLS.map((h) => h.name));
    for (const spec of SPECS.values()) assert.strictEqual(named.has(spec.name), !spec.name.startsWith('arch_'), spec.name);
    assert.strictEqual(hypercall('__HYPERVISOR_sched_op')!.number, 29);
    assert.strictEqual(hypercall('console_io')!.number, 18);
    assert.strictEqual(hypercall('arch_0'), undefined);
    // a 64-bit argument takes two registers, low half first
    assert.deepStrictEqual(hypercall('set_timer_op')!.args, ['timeout (low 32 bits)', 'timeout (high 32 bits)']);
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

  it('knows every key the config parser knows, and marks the ones xensim acts on', () => {
    const ours = new Map(XL_KEYS.map((k) => [k.key, k]));
    for (const k of Object.keys(KEYS)) assert.strictEqual(ours.get(k)?.simulated, true, k);
    for (const k of UNSIMULATED_KEYS) assert.strictEqual(ours.get(k)?.simulated, false, k);
    assert.strictEqual(ours.get('memory')!.summary, KEYS.memory.doc);
  });

  it('knows each xl key once, with values only for enumerations', () => {
    assert.strictEqual(new Set(XL_KEYS.map((k) => k.key)).size, XL_KEYS.length);
    for (const k of ['name', 'type', 'memory', 'vcpus', 'kernel', 'cmdline', 'on_poweroff', 'on_reboot', 'on_crash', 'cpus', 'vif', 'disk', 'serial', 'firmware_override', 'max_event_channels']) {
      assert.ok(XL_KEYS.some((x) => x.key === k), k);
    }
    assert.deepStrictEqual(XL_KEYS.find((k) => k.key === 'type')!.values, ['pv', 'pvh', 'hvm']);
  });
});
