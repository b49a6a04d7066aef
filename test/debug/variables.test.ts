import * as assert from 'assert';
import { CpuState, emptyCpuState } from '../../src/cpu/state';
import { registerValue, xenConstant } from '../../src/debug/names';
import { applyEdit, describeDescriptor, editedValue, registerRows, segmentRows, systemRows } from '../../src/debug/variables';

/** A ring-1 PV vCPU as Xen starts one (flat FLAT_RING1 segments, paging with PAE). */
function pvState(): CpuState {
  const s = emptyCpuState();
  s.r = [0x12, 0xffffffff, 0, 0x4, 0xc0010000, 0xc000fff0, 0xc0100000, 0];
  s.eip = 0xc0000010;
  s.eflags = 0x246; // IF ZF PF + fixed bit
  s.cpl = 1;
  const code = { sel: 0xe019, base: 0, limit: 0xffffffff, attr: 0xc0bb }; // code, readable, accessed, DPL1, P, D, G
  const data = { sel: 0xe021, base: 0, limit: 0xffffffff, attr: 0xc0b3 }; // data, writable, accessed, DPL1
  s.seg = [data, code, data, data, data, data];
  s.cr = [0x80050033, 0, 0xdead0000, 0x7f000, 0x20];
  s.dr = [0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400];
  return s;
}

const gva = (a: number) => `d1:gva:0x${a.toString(16)}`;

describe('debug/variables', () => {
  it('shows the general registers, eip, eflags with each flag, and CPL', () => {
    const rows = registerRows(pvState(), gva);
    assert.deepStrictEqual(
      rows.map((r) => r.name),
      ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'CPL'],
    );
    assert.strictEqual(rows[0].value, '0x00000012');
    assert.strictEqual(rows[4].memoryReference, 'd1:gva:0xc0010000');
    const eflags = rows.find((r) => r.name === 'eflags')!;
    assert.strictEqual(eflags.value, '0x00000246 [PF ZF IF IOPL=0]');
    const flag = (n: string) => eflags.children!.find((c) => c.name === n)!.value;
    assert.deepStrictEqual(['ZF', 'IF', 'CF', 'PF', 'IOPL'].map(flag), ['1', '1', '0', '1', '0']);
    assert.strictEqual(rows.find((r) => r.name === 'CPL')!.value, '1');
  });

  it('edits registers and single flags', () => {
    const s = pvState();
    const rows = registerRows(s, gva);
    assert.deepStrictEqual(applyEdit(s, rows[0].edit!, '0x99').r![0], 0x99);
    assert.deepStrictEqual(applyEdit(s, rows[0].edit!, '-1').r![0], 0xffffffff);
    assert.deepStrictEqual(applyEdit(s, rows[8].edit!, '0xc0000020'), { eip: 0xc0000020 });
    const cf = rows[9].children!.find((c) => c.name === 'CF')!;
    const zf = rows[9].children!.find((c) => c.name === 'ZF')!;
    const iopl = rows[9].children!.find((c) => c.name === 'IOPL')!;
    assert.deepStrictEqual(applyEdit(s, cf.edit!, '1'), { eflags: 0x247 });
    assert.deepStrictEqual(applyEdit(s, zf.edit!, '0'), { eflags: 0x206 });
    assert.deepStrictEqual(applyEdit(s, iopl.edit!, '3'), { eflags: 0x3246 });
    assert.throws(() => applyEdit(s, cf.edit!, '2'), /0 or 1/);
    assert.throws(() => applyEdit(s, rows[0].edit!, 'lots'), /not a 32-bit number/);
    const after = { ...s, eflags: 0x247 };
    assert.strictEqual(editedValue(after, cf.edit!), '1');
  });

  it('decodes segment descriptors', () => {
    const rows = segmentRows(pvState());
    assert.deepStrictEqual(rows.map((r) => r.name), ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr']);
    assert.match(rows[1].value, /^0xe019 code, readable, accessed, DPL 1, 32-bit$/);
    const sel = rows[1].children!.find((c) => c.name === 'selector')!.value;
    assert.strictEqual(sel, '0xe019 (index 7171, GDT, RPL 1)');
    assert.strictEqual(describeDescriptor({ sel: 0, base: 0, limit: 0, attr: 0x10000 }), 'unusable (null selector)');
    assert.strictEqual(describeDescriptor({ sel: 0x28, base: 0, limit: 0x67, attr: 0x8b }), '32-bit TSS (busy), DPL 0');
  });

  it('decodes control and debug registers', () => {
    const rows = systemRows(pvState(), gva, (a) => `ma:0x${a.toString(16)}`);
    const row = (n: string) => rows.find((r) => r.name === n)!;
    assert.strictEqual(row('cr0').value, '0x80050033 [PE MP ET NE WP AM PG]');
    assert.strictEqual(row('cr0').children!.find((c) => c.name === 'PG')!.value, '1');
    assert.strictEqual(row('cr4').value, '0x00000020 [PAE]');
    assert.strictEqual(row('cr3').memoryReference, 'ma:0x7f000');
    assert.match(row('cr3').value, /PDPT at ma 0x7f000/);
    assert.strictEqual(row('cr2').memoryReference, 'd1:gva:0xdead0000');
    assert.strictEqual(row('dr7').value, '0x00000400 [none enabled]');
    assert.deepStrictEqual(
      rows.map((r) => r.name).filter((n) => /^dr/.test(n)),
      ['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7'],
    );
  });

  it('names registers and Xen constants for expressions', () => {
    const s = pvState();
    assert.deepStrictEqual(['eax', 'al', 'ah', 'cx', 'ESP', 'eip', 'cs', 'cr3', 'zf', 'cpl'].map((n) => registerValue(s, n)), [0x12, 0x12, 0, 0xffff, 0xc0010000, 0xc0000010, 0xe019, 0x7f000, 1, 1]);
    assert.strictEqual(registerValue(s, 'port'), undefined);
    assert.strictEqual(xenConstant('EVTCHNOP_send'), 4);
    assert.strictEqual(xenConstant('__HYPERVISOR_console_io'), 18);
    assert.strictEqual(xenConstant('FLAT_RING1_CS'), 0xe019);
    assert.strictEqual(xenConstant('SHUTDOWN_poweroff'), 0);
    assert.strictEqual(xenConstant('nosuch'), undefined);
  });
});
