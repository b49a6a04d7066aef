import * as assert from 'assert';
import * as crypto from 'crypto';
import * as path from 'path';
import type { TraceRecord } from '../../src/trace/records';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { TimeTravel, TravelPosition } from '../../src/xen/timetravel/engine';
import { prng as mulberry } from '../asm/prng';
import { distinctFrameBytes, fullCopyFrameBytes } from '../../src/xen/timetravel/frames';

const repo = path.resolve(__dirname, '..', '..');
const cfg = (example: string, name: string) => loadDomainConfigFile(path.join(repo, 'examples', example, `${name}.cfg`)).config!;

/** Uniform in [0, 1) from the project's seeded mulberry32 (integers). */
function prng(seed: number): () => number {
  const next = mulberry(seed);
  return () => next() / 4294967296;
}

function boot(interval: number): { sys: XenSystem; tt: TimeTravel; records: TraceRecord[] } {
  const sys = new XenSystem([cfg('timer', 'timer'), cfg('scheduler', 'w256')], { pcpus: 2 });
  const tt = new TimeTravel(sys, { interval });
  const records: TraceRecord[] = [];
  sys.trace.subscribe((r) => records.push(r));
  return { sys, tt, records };
}

/** Everything a debugger view shows: every vCPU's registers, Xen state, and a hash of each domain's memory. */
function state(tt: TimeTravel): string {
  const h = crypto.createHash('sha256');
  for (const d of tt.domains()) {
    h.update(JSON.stringify(d));
    for (const v of tt.vcpus(d.id)) {
      h.update(JSON.stringify(v));
      h.update(JSON.stringify(tt.cpuState(d.id, v.vcpu)));
      h.update(JSON.stringify(tt.xenState(d.id, v.vcpu)));
    }
    const bytes = tt.readMemory(d.id, 'gpa', 0, 256 * 1024);
    h.update(Uint8Array.from(bytes.map((b) => b ?? 0x100 - 1)));
  }
  h.update(String(tt.now()));
  return h.digest('hex');
}

const isStop = (r: TraceRecord) => r.kind === 'hypercall-entry' || r.kind === 'event-deliver';

describe('xen: time travel (snapshots + deterministic replay)', function () {
  this.timeout(60_000);

  it('travels back to random points (fixed seed) showing the machine exactly as it was, and forward reproduces the trace', () => {
    const { tt, records } = boot(400_000);
    const rnd = prng(11);
    const marks: { at: TravelPosition; state: string; seen: number }[] = [];
    while (tt.instructionsRetired() < 3_000_000) {
      const stop = tt.run({ maxInstructions: 1 + Math.floor(rnd() * 300_000) });
      marks.push({ at: tt.position(), state: state(tt), seen: records.length });
      if (stop.reason !== 'budget') break;
    }
    const end = tt.position();
    const all = records.length;
    assert.ok(all > 20, `the run traced ${all} records`);
    assert.ok(tt.snapshots().length >= 5);
    for (let i = 0; i < 6; i++) {
      const m = marks[Math.floor(rnd() * marks.length)];
      tt.travelTo(m.at);
      assert.deepStrictEqual(tt.position(), m.at);
      assert.strictEqual(state(tt), m.state, `state at ${JSON.stringify(m.at)}`);
    }
    assert.strictEqual(records.length, all, 'travelling emits no records to listeners');
    const m = marks[2];
    tt.travelTo(m.at);
    tt.run({ maxInstructions: end.instructions - m.at.instructions });
    assert.deepStrictEqual(tt.position(), end);
    assert.deepStrictEqual(records.slice(all), records.slice(m.seen, all), 'the replayed future is the original one');
    assert.strictEqual(state(tt), marks[marks.length - 1].state);
  });

  it('previousStop walks back through exactly the hits a forward run stopped at', () => {
    const { tt } = boot(300_000);
    const forward: { at: TravelPosition; record: TraceRecord; state: string }[] = [];
    while (tt.instructionsRetired() < 2_500_000) {
      const stop = tt.run({ maxInstructions: 2_500_000 - tt.instructionsRetired(), stopOn: isStop });
      if (stop.reason !== 'trace') break;
      forward.push({ at: tt.position(), record: stop.record!, state: state(tt) });
    }
    assert.ok(forward.length >= 5, `${forward.length} forward hits`);
    tt.run({ maxInstructions: 100_000 });
    for (let i = forward.length - 1; i >= 0; i--) {
      const hit = tt.previousStop({ stopOn: isStop });
      assert.ok(hit, `hit ${i}`);
      assert.deepStrictEqual(hit.position, forward[i].at);
      assert.deepStrictEqual(hit.stop.record, forward[i].record);
      assert.deepStrictEqual(tt.position(), forward[i].at);
      assert.strictEqual(state(tt), forward[i].state, `state at hit ${i}`);
    }
    assert.strictEqual(tt.previousStop({ stopOn: isStop }), undefined, 'nothing before the first hit');
  });

  it('replays user inputs (register and memory writes, single steps) where they happened', () => {
    const { tt, records } = boot(250_000);
    tt.run({ maxInstructions: 600_000 });
    const scratch = 15 * 1024 * 1024; // a gpa page the guests never touch
    tt.writeMemory(1, 'gpa', scratch, Uint8Array.from([1, 2, 3, 4]));
    const regs = tt.cpuState(1, 0);
    tt.setRegisters(1, 0, { r: [...regs.r.slice(0, 7).map((x) => x), regs.r[7]] });
    for (let i = 0; i < 5; i++) tt.step(1, 0);
    const afterInputs = tt.position();
    const s1 = state(tt);
    tt.run({ maxInstructions: 700_000 });
    const end = tt.position();
    const sEnd = state(tt);
    const n = records.length;
    tt.travelTo(100_000);
    assert.deepStrictEqual(tt.readMemory(1, 'gpa', scratch, 4), [0, 0, 0, 0], 'before the write');
    tt.travelTo(afterInputs);
    assert.strictEqual(state(tt), s1);
    assert.deepStrictEqual(tt.readMemory(1, 'gpa', scratch, 4), [1, 2, 3, 4]);
    tt.travelTo(end);
    assert.strictEqual(state(tt), sEnd);
    assert.strictEqual(records.length, n);
  });

  it('travelling to a trace record shows the registers that record saw', () => {
    const { tt, records } = boot(300_000);
    let count = 0;
    const seen: { index: number; record: TraceRecord; eax: number }[] = [];
    tt.trace.subscribe((r) => {
      count++;
      if (r.kind === 'hypercall-entry') seen.push({ index: count, record: r, eax: tt.cpuState(r.domid, r.vcpu).r[0] >>> 0 });
    });
    tt.run({ maxInstructions: 2_000_000 });
    assert.strictEqual(count, records.length);
    assert.ok(seen.length >= 5);
    for (const s of [...seen].reverse()) {
      tt.travelToRecord(s.index);
      assert.strictEqual(tt.position().records, s.index);
      const v = tt.vcpus(s.record.domid).find((x) => x.vcpu === s.record.vcpu)!;
      assert.ok(v.activity, `d${s.record.domid} is inside Xen at record ${s.index}`);
      if (!(s.record.kind === 'hypercall-entry' && s.record.name === 'domctl' && s.record.domid === 0)) {
        assert.strictEqual(tt.cpuState(s.record.domid, s.record.vcpu).r[0] >>> 0, s.eax, `eax at record ${s.index}`);
      }
    }
    assert.throws(() => tt.travelToRecord(records.length + 5), /has not happened yet/);
  });

  it('shares unchanged frames between snapshots (copy-on-write)', () => {
    const { tt } = boot(200_000);
    tt.run({ maxInstructions: 2_000_000 });
    const snaps = tt.snapshots().map((s) => s.snap);
    assert.ok(snaps.length >= 8);
    const shared = distinctFrameBytes(snaps);
    const full = fullCopyFrameBytes(snaps);
    assert.ok(shared * 3 < full, `shared ${shared} B vs full copies ${full} B`);
  });
});
