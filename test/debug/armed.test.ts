/**
 * Record stops indexed by key (armed.ts, narrowKey): offering a record only to the stops its key
 * selects must decide exactly what testing every armed stop decides — the same stops, in the
 * same order, the same condition errors and hit counts — for random conditions (seeded) over
 * hypercalls, ring transitions, VM exits, event deliveries, faults and domain records.
 */
import * as assert from 'assert';
import { emptyCpuState } from '../../src/cpu/state';
import { RecordIndex } from '../../src/debug/armed';
import { compile } from '../../src/debug/expr';
import { EXCEPTION_FILTERS, FILTER_KIND, FilterId, filterOf, functionTargetKey, functionTargetMatcher, narrowKey, parseFunctionTarget, recordEnv, RecordKey, StopContext, StopRule } from '../../src/debug/stops';
import { hypercallEntry } from '../../src/trace/hypercall';
import type { TraceRecord } from '../../src/trace/records';
import { HYPERCALL } from '../../src/xen/abi';
import { Rng } from '../cpu/diff-gen';

/** `n` → a seeded random integer below n: the same sequence on every run. */
function prng(seed: number): (n: number) => number {
  const rng = new Rng(seed);
  return (n) => rng.int(n);
}

const state = emptyCpuState();
state.r = [7, 1, 2, 3, 0x9000, 0, 0, 0];
const ctx: StopContext = { cpu: () => state, readBytes: () => undefined, symbol: (_d, n) => (n === 'sym' ? 5 : undefined) };

function records(rnd: (n: number) => number): TraceRecord[] {
  const base = () => ({ time: 0, pcpu: rnd(2), domid: rnd(3), vcpu: rnd(2) });
  const nrs = [HYPERCALL.sched_op, HYPERCALL.xen_version, HYPERCALL.event_channel_op, HYPERCALL.console_io];
  const out: TraceRecord[] = [];
  for (let i = 0; i < 400; i++) {
    switch (rnd(6)) {
      case 0:
        out.push(hypercallEntry(base(), nrs[rnd(nrs.length)], [rnd(3), rnd(3), 0, 0, 0], () => undefined));
        break;
      case 1:
        out.push({ kind: 'ring-transition', ...base(), from: rnd(4), to: rnd(4), cause: 'hypercall' });
        break;
      case 2:
        out.push({ kind: 'vm-exit', ...base(), reason: [10, 30, 48][rnd(3)], reasonName: 'EXIT_REASON_X', rip: rnd(3), qualification: rnd(2) ? (0x3f8 << 16) | rnd(16) : undefined });
        break;
      case 3:
        out.push({ kind: 'event-deliver', ...base(), port: rnd(5), upcall: rnd(2) === 0 });
        break;
      case 4:
        out.push({ kind: 'fault', ...base(), vector: [6, 13, 14][rnd(3)], name: '#X', eip: rnd(3), ring: rnd(4), outcome: 'bounce' });
        break;
      default:
        out.push({ kind: 'domain', ...base(), event: rnd(2) ? 'crashed' : 'created', name: 'd' });
    }
  }
  return out;
}

/** A random condition: often `field == constant && …`, sometimes reversed, ||, or bad names. */
function condition(rnd: (n: number) => number): string | undefined {
  const fields = ['nr', 'from', 'to', 'reason', 'port', 'vector', 'domid', 'vcpu', 'pcpu', 'eip', 'rip', 'cmd', 'eax', 'upcall'];
  const consts = ['0', '1', '2', '3', '6', '14', '30', '0x3f8', '__HYPERVISOR_sched_op', '__HYPERVISOR_console_io', 'IO_INSTRUCTION', 'CPUID', 'SCHEDOP_yield', 'eax', 'sym', 'bogus', '0xffffffff'];
  const test = () => (rnd(2) ? `${fields[rnd(fields.length)]} == ${consts[rnd(consts.length)]}` : `${consts[rnd(consts.length)]} == ${fields[rnd(fields.length)]}`);
  switch (rnd(6)) {
    case 0:
      return undefined;
    case 1:
      return test();
    case 2:
      return `${test()} && ${test()}`;
    case 3:
      return `${test()} || ${test()}`;
    case 4:
      return `${test()} && ${rnd(2) ? 'nosuchname == 1' : `${fields[rnd(fields.length)]} != 1`}`;
    default:
      return `(${test()}) && ${test()} && ${test()}`;
  }
}

interface Stop {
  id: number;
  key: RecordKey;
  matches(r: TraceRecord): boolean;
  rule: StopRule;
}

function arm(rnd: (n: number) => number, n: number): Array<{ key: RecordKey; matches: (r: TraceRecord) => boolean; cond?: string; hit?: string }> {
  const names = ['hypercall:sched_op', 'hypercall:console_io', 'hypercall:*', 'vmexit:IO_INSTRUCTION', 'vmexit:*'];
  return Array.from({ length: n }, () => {
    const cond = condition(rnd);
    const hit = rnd(5) === 0 ? `% ${1 + rnd(3)}` : undefined;
    if (rnd(2)) {
      const t = parseFunctionTarget(names[rnd(names.length)]);
      if (t.kind === 'symbol') throw new Error('not a record target');
      return { key: functionTargetKey(t), matches: functionTargetMatcher(t), cond, hit };
    }
    const f = EXCEPTION_FILTERS[rnd(EXCEPTION_FILTERS.length)].filter as FilterId;
    return { key: { kind: FILTER_KIND[f] }, matches: (r: TraceRecord) => filterOf(r) === f, cond, hit };
  });
}

/** Which stops stop (and with what error), record by record, as the run control decides it. */
function decisions(stops: Stop[], recs: TraceRecord[], candidates: (r: TraceRecord) => readonly Stop[]): string[] {
  return recs.map((r) => {
    const env = recordEnv(r, ctx);
    const out: string[] = [];
    for (const s of candidates(r)) {
      if (!s.matches(r)) continue;
      const d = s.rule.decide(env);
      if (d.action !== 'skip') out.push(`${s.id}:${d.action}${d.error ? `:${d.error}` : ''}`);
    }
    return out.join(' ');
  });
}

describe('debug/armed (record stops by key)', function () {
  this.timeout(30000);
  it('narrows a key by the condition\'s first test only when that test decides', () => {
    const k = (kind: RecordKey['kind'], c: string) => narrowKey({ kind }, compile(c));
    assert.deepStrictEqual(k('hypercall-entry', 'nr == __HYPERVISOR_console_io && ebx == 1'), { kind: 'hypercall-entry', field: 'nr', value: HYPERCALL.console_io });
    assert.deepStrictEqual(k('ring-transition', '3 == from'), { kind: 'ring-transition', field: 'from', value: 3 });
    assert.deepStrictEqual(k('vm-exit', 'reason == IO_INSTRUCTION'), { kind: 'vm-exit', field: 'reason', value: 30 });
    assert.deepStrictEqual(k('domain', 'domid == 2'), { kind: 'domain', field: 'domid', value: 2 });
    // not decidable from the record alone: a register, a guest symbol, a later test, an ||
    assert.deepStrictEqual(k('fault', 'vector == eax'), { kind: 'fault' });
    assert.deepStrictEqual(k('fault', 'vector == sym'), { kind: 'fault' });
    assert.deepStrictEqual(k('fault', 'eax == 1 && vector == 14'), { kind: 'fault' });
    assert.deepStrictEqual(k('fault', 'vector == 14 || vector == 13'), { kind: 'fault' });
    // a hypercall argument may be called domid (dm_op): not indexed for hypercalls
    assert.deepStrictEqual(k('hypercall-entry', 'domid == 1'), { kind: 'hypercall-entry' });
    // a function breakpoint's own key wins
    const own: RecordKey = { kind: 'hypercall-entry', field: 'nr', value: HYPERCALL.sched_op };
    assert.strictEqual(narrowKey(own, compile('nr == 3')), own);
  });

  it('offers each record the stops that may match it, and decides as testing all of them does (seeded)', () => {
    let offered = 0;
    let all = 0;
    let stopped = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = prng(seed);
      const specs = arm(rnd, 1 + rnd(60));
      const make = (narrow: boolean): Stop[] =>
        specs.map((s, id) => {
          const rule = new StopRule({ condition: s.cond, hitCondition: s.hit });
          return { id, key: narrow ? narrowKey(s.key, rule.condition) : s.key, matches: s.matches, rule };
        });
      const plain = make(false);
      const keyed = make(true);
      const index = new RecordIndex(keyed);
      const recs = records(rnd);
      const expected = decisions(plain, recs, () => plain);
      const got = decisions(keyed, recs, (r) => index.candidates(r));
      assert.deepStrictEqual(got, expected, `seed ${seed}`);
      assert.deepStrictEqual(keyed.map((s) => s.rule.hits), plain.map((s) => s.rule.hits), `seed ${seed}: hit counts`);
      for (const r of recs) {
        offered += index.candidates(r).length;
        all += keyed.filter((s) => s.matches(r)).length;
      }
      stopped += expected.filter((e) => e !== '').length;
    }
    assert.ok(stopped > 100, `stops happened (${stopped})`);
    assert.ok(offered < all, `the index offered fewer stops (${offered}) than match by kind (${all})`);
  });
});
