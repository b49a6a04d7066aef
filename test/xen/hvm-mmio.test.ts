// MMIO forwarded to the device model (IOREQ_TYPE_COPY): the VGA text window the device model
// claims, written and read back by a small HVM guest in bytes, words and dwords (unaligned,
// page-straddling), each access one EPT violation and one ioreq round trip with the
// instruction run again on the answer; snapshots across a round trip; MMIO nobody claims
// still crashing the domain.
import * as assert from 'assert';
import { bootHvm, HvmBooted, hvmConfig, hvmSource } from './hvm-guests';
import { runCommand } from '../../src/cli/run';
import { TimeTravel, TravelPosition } from '../../src/xen/timetravel/engine';
import { hvmPlatformOf } from '../../src/xen/hvm';
import { hvmState, vgaScreen } from '../../src/xen/hvm';
import { DOMID, IOREQ_TYPE } from '../../src/xen/abi';
import { toJsonLine } from '../../src/trace/jsonl';
import type { IoreqRecord, TraceRecord } from '../../src/trace/records';

/** 'Hi.!' with attribute 7 written as bytes, a word and a dword, then read back every way */
const VGA_RW = `
    mov byte [0xb8000], 'H'
    mov byte [0xb8001], 0x07
    mov word [0xb8002], 0x0769
    mov dword [0xb8004], 0x0721072e
    movzx eax, byte [0xb8000]
    mov [results], eax
    movzx eax, word [0xb8002]
    mov [results + 4], eax
    mov eax, [0xb8000]
    mov [results + 8], eax
    mov eax, [0xb8001]
    mov [results + 12], eax
    mov eax, 0x11111111
    add eax, [0xb8004]
    mov [results + 16], eax
    mov dword [0xb8ffe], 0x44434241
    mov eax, [0xb8ffe]
    mov [results + 20], eax`;

/** ioreqs of domain 1 in one phase */
const ioreqs = (b: HvmBooted, phase: IoreqRecord['phase']) => b.records.filter((r): r is IoreqRecord => r.kind === 'ioreq' && r.phase === phase && r.targetDomid === 1);

/** The accesses VGA_RW makes, as the ioreqs they become: [dir, addr, size], a page-straddling dword one byte each. */
function expectedAccesses(): [string, number, number][] {
  const bytes = (dir: string, base: number) => [0, 1, 2, 3].map((k): [string, number, number] => [dir, base + k, 1]);
  return [
    ['write', 0xb8000, 1],
    ['write', 0xb8001, 1],
    ['write', 0xb8002, 2],
    ['write', 0xb8004, 4],
    ['read', 0xb8000, 1],
    ['read', 0xb8002, 2],
    ['read', 0xb8000, 4],
    ['read', 0xb8001, 4],
    ['read', 0xb8004, 4],
    ...bytes('write', 0xb8ffe),
    ...bytes('read', 0xb8ffe),
  ];
}

describe('HVM MMIO ioreqs: the VGA text window in the device model', function () {
  this.timeout(30_000);

  for (const dom0 of [true, false]) {
    it(`writes and reads back the text window in bytes, words and dwords (${dom0 ? 'device model in dom0' : 'no dom0'})`, () => {
      const b = bootHvm([{ name: 'vga', body: VGA_RW }], { dom0 });
      assert.strictEqual(b.sys.run({ maxInstructions: 3e6 }).reason, 'finished');
      assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
      assert.strictEqual(b.result(1, 0), 0x48, 'byte read');
      assert.strictEqual(b.result(1, 1), 0x0769, 'word read');
      assert.strictEqual(b.result(1, 2), 0x07690748, 'dword read');
      assert.strictEqual(b.result(1, 3), 0x2e076907, 'a dword straddling cells 0..2');
      assert.strictEqual(b.result(1, 4), (0x0721072e + 0x11111111) >>> 0, 'a read feeding the ALU');
      assert.strictEqual(b.result(1, 5), 0x44434241, 'a dword straddling two pages of the window');
      const vga = hvmState(b.sys.domain(1)).dm!.vga;
      assert.deepStrictEqual(vga.screen(), ['Hi.!'], 'the screen the device model keeps');
      assert.deepStrictEqual([...vga.mem.subarray(0xffe, 0x1002)], [0x41, 0x42, 0x43, 0x44]);

      // every access is one ioreq of type COPY with its guest-physical address, in order
      const expected = expectedAccesses();
      for (const phase of ['send', 'dm', 'complete'] as const) {
        const got = ioreqs(b, phase);
        assert.deepStrictEqual(got.map((r) => [r.dir, r.addr, r.size]), expected, `ioreq ${phase} records`);
        assert.ok(got.every((r) => r.type === IOREQ_TYPE.COPY && r.device === 'vga' && r.count === 1 && !r.dataIsPtr));
      }
      assert.ok(ioreqs(b, 'dm').every((r) => r.domid === (dom0 ? 0 : DOMID.XEN)), 'served by dom0 (or Xen without it)');
      const answers = ioreqs(b, 'complete').filter((r) => r.dir === 'read').map((r) => r.data);
      assert.deepStrictEqual(answers, [0x48, 0x0769, 0x07690748, 0x2e076907, 0x0721072e, 0x41, 0x42, 0x43, 0x44]);
      // exits: one EPT violation per ioreq, and the final hlt with IF clear
      assert.deepStrictEqual(b.exits(1), { EXIT_REASON_EPT_VIOLATION: expected.length, EXIT_REASON_HLT: 1 });
      assert.strictEqual(hvmState(b.sys.domain(1)).ioreqs, expected.length);
      // an EPT violation's rip is the instruction's own: it runs again once answered
      const ept = b.records.filter((r) => r.kind === 'vm-exit' && r.domid === 1 && r.reasonName === 'EXIT_REASON_EPT_VIOLATION');
      const entries = b.records.filter((r) => r.kind === 'vm-entry' && r.domid === 1);
      for (const e of ept) assert.ok(e.kind === 'vm-exit' && entries.some((n) => n.kind === 'vm-entry' && n.rip === e.rip), `an entry resumes at 0x${e.kind === 'vm-exit' ? e.rip.toString(16) : ''}`);
    });
  }

  it('restored in the middle of an MMIO round trip, continues exactly as the original run', () => {
    const RUN = { maxInstructions: 3e6 };
    for (const phase of ['send', 'dm', 'complete'] as const) {
      const b = bootHvm([{ name: 'vga', body: VGA_RW }], { dom0: true, nsPerInstruction: 1 });
      const lines: string[] = [];
      b.sys.trace.subscribe((r) => lines.push(toJsonLine(r)));
      // the read of the dword straddling cells 0..2
      const at = (r: TraceRecord) => r.kind === 'ioreq' && r.phase === phase && r.dir === 'read' && r.addr === 0xb8001;
      assert.strictEqual(b.sys.run({ ...RUN, stopOn: at }).reason, 'trace');
      const snap = b.sys.snapshot();
      const mark = lines.length;
      assert.strictEqual(b.sys.run(RUN).reason, 'finished');
      const first = lines.slice(mark);
      const results = [0, 1, 2, 3, 4, 5].map((i) => b.result(1, i));
      b.sys.restore(snap);
      const mark2 = lines.length;
      assert.strictEqual(b.sys.run(RUN).reason, 'finished');
      assert.deepStrictEqual(lines.slice(mark2), first, `the trace after a restore at the ${phase} step`);
      assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((i) => b.result(1, i)), results);
      assert.strictEqual(results[3], 0x2e076907);
    }
  });

  it('reverse execution walks back through MMIO round trips, each showing the machine as the forward run saw it', () => {
    const b = bootHvm([{ name: 'vga', body: VGA_RW }], { dom0: true, nsPerInstruction: 1 });
    const tt = new TimeTravel(b.sys, { interval: 2_000 });
    const isStop = (r: TraceRecord) => r.kind === 'ioreq' && r.targetDomid === 1 && r.phase !== 'send';
    /** registers, runstate, the screen memory and the answers the abandoned instruction holds */
    const view = () => {
      const d = b.sys.domain(1);
      const p = hvmPlatformOf(d.vcpus[0]);
      return JSON.stringify({ cpu: tt.cpuState(1, 0), vcpu: tt.vcpus(1), vga: [...hvmState(d).dm!.vga.mem.subarray(0, 8)], done: p.mmioDone, rip: p.mmioRip, now: tt.now() });
    };
    const forward: { at: TravelPosition; record: TraceRecord; view: string }[] = [];
    for (;;) {
      const stop = tt.run({ maxInstructions: 3e6, stopOn: isStop });
      if (stop.reason !== 'trace') break;
      forward.push({ at: tt.position(), record: stop.record!, view: view() });
    }
    assert.strictEqual(forward.length, 2 * expectedAccesses().length, 'a dm and a complete step per access');
    for (let i = forward.length - 1; i >= forward.length - 10; i--) {
      const hit = tt.previousStop({ stopOn: isStop });
      assert.ok(hit, `hit ${i}`);
      assert.deepStrictEqual(hit.position, forward[i].at);
      assert.deepStrictEqual(hit.stop.record, forward[i].record);
      assert.strictEqual(view(), forward[i].view, `the machine at hit ${i}`);
    }
  });

  it('restores the screen: text written after the snapshot is gone, text before it is back', () => {
    const b = bootHvm([{ name: 'vga', body: VGA_RW }], { dom0: true });
    const vga = () => hvmState(b.sys.domain(1)).dm!.vga;
    assert.strictEqual(b.sys.run({ maxInstructions: 3e6, stopOn: (r) => r.kind === 'ioreq' && r.phase === 'complete' && r.addr === 0xb8004 }).reason, 'trace');
    const snap = b.sys.snapshot();
    assert.deepStrictEqual(vga().screen(), ['Hi.!']);
    vga().write(0, 2, 0x0758);
    assert.deepStrictEqual(vga().screen(), ['Xi.!']);
    b.sys.restore(snap);
    assert.deepStrictEqual(vga().screen(), ['Hi.!']);
  });

  it('crashes the domain (per on_crash) on MMIO outside every claimed range, also after the window’s end', () => {
    const b = bootHvm(
      [
        { name: 'hole', body: `    mov byte [0xb8000], 'a'\n    mov eax, [0xa0000]\n    mov [results], eax` },
        { name: 'edge', body: `    mov dword [0xbfffe], 0x07620761\n    mov dword [results], 1` },
        { name: 'gone', body: `    mov eax, [0xc0000]`, extra: 'on_crash = "destroy"' },
      ],
      { dom0: true },
    );
    b.sys.run({ maxInstructions: 3e6, untilTimeNs: 50e6 });
    const d = b.sys.domain(1);
    assert.strictEqual(d.state, 'crashed');
    assert.ok(b.console(1).some((l) => /EPT violation: read of 4 bytes at gpa 0xa0000/.test(l)), b.console(1).join('\n'));
    assert.strictEqual(b.result(1, 0), 0xdeadbeef, 'the faulting read never completed');
    assert.deepStrictEqual(hvmState(d).dm!.vga.screen(), ['a']);
    // the dword's two bytes in the window reach the device model, one round trip each; the
    // byte at 0xC0000, past the window, has nobody behind it
    const edge = b.sys.domain(2);
    assert.strictEqual(edge.state, 'crashed');
    assert.ok(b.console(2).some((l) => /EPT violation: write of 1 bytes at gpa 0xc0000/.test(l)), b.console(2).join('\n'));
    assert.deepStrictEqual(
      b.records.filter((r): r is IoreqRecord => r.kind === 'ioreq' && r.phase === 'complete' && r.targetDomid === 2).map((r) => [r.addr, r.size]),
      [
        [0xbfffe, 1],
        [0xbffff, 1],
      ],
    );
    assert.deepStrictEqual([...hvmState(edge).dm!.vga.mem.subarray(0x7ffe)], [0x61, 0x07]);
    assert.strictEqual(b.result(2, 0), 0xdeadbeef);
    assert.strictEqual(b.sys.domain(3).state, 'destroyed', 'on_crash = "destroy"');
  });

  it('xensim run shows the screen a guest left, rep movsw/stosw one element per round trip', async () => {
    // row 0 "hello, VGA" by rep movsw from RAM, row 1 "==" by rep stosw, then one cell read back
    const body = `
    mov esi, text
    mov edi, 0xb8000
    mov ecx, (text_end - text) / 2
    cld
    rep movsw
    mov edi, 0xb8000 + 160
    mov ax, 0x0f3d
    mov ecx, 2
    rep stosw
    mov ax, [0xb8000 + 8]
    mov [results], eax`;
    const cells = 'hello, VGA'.split('').map((c) => `db "${c}", 0x07`).join('\n');
    const cfg = hvmConfig('screen', hvmSource(body, `text:\n${cells}\ntext_end:`));
    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t), cwd: process.cwd() };
    assert.strictEqual(await runCommand(['--no-dom0', cfg], io), 0, out);
    const shown = out.split('\n').filter((l) => l.startsWith('(screen vga)'));
    assert.deepStrictEqual(shown.map((l) => l.replace(/^\(screen vga\)\s+/, '')), ['hello, VGA', '=='], out);
    // 10 words moved + 2 stored + 1 read: 13 EPT violations, and the final hlt
    assert.match(out, /VM exits of screen: EPT_VIOLATION 13, HLT 1\n/);
  });

  it('keeps a domain that never touched the window off the screen list', () => {
    const b = bootHvm([{ name: 'quiet', body: `    mov dx, 0x3f8\n    mov al, 10\n    out dx, al` }], { dom0: false });
    b.sys.run({ maxInstructions: 1e6 });
    assert.strictEqual(vgaScreen(b.sys.domain(1)), null);
  });
});
