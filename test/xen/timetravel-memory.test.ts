// Time travel over a guest that writes memory heavily and churns page information between
// snapshots (random stores over 16 pages, a whole page rewritten each round, a frame populated
// and given back each round): travelling shows exactly what was there, and running on from any
// point reproduces the original future. Snapshots are small and thinned, so this also covers
// scratch snapshots and the geometric policy.
import * as assert from 'assert';
import * as crypto from 'crypto';
import type { TraceRecord } from '../../src/trace/records';
import { TimeTravel, TravelPosition } from '../../src/xen/timetravel/engine';
import { snapshotBytes } from '../../src/xen/timetravel/frames';
import { boot, guestSource } from './guest';
import { prng } from '../asm/prng';

const BUF_PAGES = 16;

const WRITER = guestSource(`
    mov dword [state], 0x12345678
outer:
    mov ecx, 3000
.inner:
    mov eax, [state]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [state], eax
    mov edx, eax
    shr edx, 10
    and edx, ${BUF_PAGES * 1024 - 1}
    mov [buf + edx * 4], eax
    dec ecx
    jnz .inner
    mov eax, [state]
    mov edx, eax
    shr edx, 20
    and edx, ${BUF_PAGES - 1}
    shl edx, 12
    lea edi, [buf + edx]
    mov ecx, 1024
    rep stosd
    mov dword [extent], 0x1800
    mov ebx, XENMEM_populate_physmap
    mov ecx, reservation
    HYPERCALL memory_op
    mov [results], eax
    mov dword [extent], 0x1800
    mov ebx, XENMEM_decrease_reservation
    mov ecx, reservation
    HYPERCALL memory_op
    mov [results + 4], eax
    jmp outer
align 4096 ; data apart from code (stores to a code page take the slow path)
state: dd 0
extent: dd 0
reservation: dd extent, 1, 0, 0
    dw DOMID_SELF, 0
align 4096
buf: times ${BUF_PAGES * 4096} db 0
`);

function start(): { tt: TimeTravel; records: TraceRecord[]; state: () => string } {
  const b = boot([{ name: 'writer', source: WRITER, extra: 'maxmem = 17' }]);
  const tt = new TimeTravel(b.sys, { interval: 60_000, window: 3, scratch: 3 });
  const buf = b.sys.image(1)!.symbolAddress('buf')!;
  const hv = b.sys.hv;
  const state = () => {
    const h = crypto.createHash('sha256');
    h.update(JSON.stringify(tt.cpuState(1, 0)));
    h.update(JSON.stringify(tt.xenState(1, 0)));
    h.update(Uint8Array.from(tt.readMemory(1, 'gva', buf, BUF_PAGES * 4096).map((x) => x ?? 0)));
    const d = hv.domains.get(1)!;
    h.update(JSON.stringify(d.p2m.ranges()));
    // page information of every frame the domain has, and the allocator's free frames
    d.p2m.forEach((mfn) => h.update(JSON.stringify(hv.mm.info[mfn])));
    const mm = hv.mm.saveState();
    h.update(JSON.stringify([mm.freeList, mm.nextFree]));
    return h.digest('hex');
  };
  return { tt, records: b.records, state };
}

describe('xen: time travel over heavy memory writes', function () {
  this.timeout(60_000);

  it('travels to random points exactly and reproduces the future from there', () => {
    const { tt, records, state } = start();
    const rnd = prng(5);
    const marks: { at: TravelPosition; state: string; seen: number }[] = [];
    while (tt.instructionsRetired() < 1_500_000) {
      tt.run({ maxInstructions: 1 + (rnd() % 90_000) });
      marks.push({ at: tt.position(), state: state(), seen: records.length });
    }
    const all = records.length;
    const done = records.filter((r) => r.kind === 'hypercall-exit' && r.name === 'memory_op' && r.result === 1).length;
    assert.ok(done > 20, `${done} frames populated and given back`);
    const held = tt.snapshots();
    assert.ok(held.length < 1_500_000 / 60_000 - 5, `${held.length} snapshots held: old ones thinned`);
    for (let i = 0; i < 8; i++) {
      const m = marks[rnd() % marks.length];
      tt.travelTo(m.at);
      assert.deepStrictEqual(tt.position(), m.at);
      assert.strictEqual(state(), m.state, `state at ${m.at.instructions}`);
    }
    assert.strictEqual(records.length, all, 'travelling emits nothing');
    const m = marks[3];
    tt.travelTo(m.at);
    const end = marks[marks.length - 1];
    tt.run({ maxInstructions: end.at.instructions - m.at.instructions });
    assert.deepStrictEqual(tt.position(), end.at);
    assert.deepStrictEqual(records.slice(all), records.slice(m.seen, all), 'the replayed future is the original one');
    assert.strictEqual(state(), end.state);
  });

  it('a travel far back leaves a snapshot within an interval behind, so the next reverse step is short', () => {
    const { tt, state } = start();
    tt.run({ maxInstructions: 1_200_000 });
    const target = 250_000 + 12_345;
    tt.travelTo(target);
    const s = state();
    const behind = tt.snapshots().filter((h) => h.at.instructions <= target);
    assert.ok(target - behind[behind.length - 1].at.instructions < 60_000, `nearest snapshot ${behind[behind.length - 1].at.instructions}`);
    tt.travelTo(target - 1);
    tt.travelTo(target);
    assert.strictEqual(state(), s);
  });

  it('snapshots hold a small part of what full copies would', () => {
    const { tt } = start();
    tt.run({ maxInstructions: 600_000 });
    const snaps = tt.snapshots().map((h) => h.snap);
    const held = snapshotBytes(snaps);
    // every snapshot in full would hold the guest's 16 MiB at least
    assert.ok(held.total < (snaps.length * 16 * 2 ** 20) / 4, `${held.total} B held by ${snaps.length} snapshots`);
  });
});
