// A front end's kick wakes dom0 at the moment of the kick, even when dom0's pCPU has already had
// its turn in the round (the run loop gives that pCPU the rest of its round at once): a block
// request is answered BACKEND_REQUEST_COST after the kick, not a 10 µs round later.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import type { EventSendRecord, TraceRecord } from '../../src/trace/records';
import { BACKEND_REQUEST_COST } from '../../src/xen/dom0/backends';

const root = path.resolve(__dirname, '..', '..');

describe('xen: latency of a request to dom0', function () {
  this.timeout(60000);
  let tmp: string;
  let sys: XenSystem;
  const records: TraceRecord[] = [];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-lat-'));
    for (const f of ['block.asm', 'block.cfg']) fs.copyFileSync(path.join(root, 'examples', 'block', f), path.join(tmp, f));
    fs.writeFileSync(path.join(tmp, 'disk.img'), Buffer.alloc(1 << 20));
    sys = new XenSystem([loadDomainConfigFile(path.join(tmp, 'block.cfg')).config!], { dom0: true, pcpus: 2, memoryMiB: 512, nsPerInstruction: 1 });
    sys.trace.subscribe((r) => records.push(r));
    assert.strictEqual(sys.run({ maxInstructions: 5e6, untilTimeNs: 5e9 }).reason, 'finished');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("a kick wakes dom0 on its own pCPU at the kick's time, and dom0 answers after serving one request", () => {
    // the blkif ring's kicks (the store ring's go to dom0 too)
    const d1 = sys.domain(1);
    const kicks = records.filter((r): r is EventSendRecord => r.kind === 'event-send' && r.domid === 1 && r.channel === 'interdomain' && r.remoteDomid === 0 && r.port !== d1.storePort && r.port !== d1.consolePort);
    assert.strictEqual(kicks.length, 3, 'a write, a flush and a read');
    let woken = 0;
    for (const k of kicks) {
      const i = records.indexOf(k);
      // the wake is in the kick's hypercall, so it follows the kick's record
      const wake = records.slice(i + 1).find((r) => r.kind === 'schedule' && r.domid === 0);
      const notify = records.slice(i + 1).find((r) => r.kind === 'event-send' && r.domid === 0 && r.remoteDomid === 1 && r.remotePort === k.port);
      assert.ok(wake && notify);
      assert.notStrictEqual(wake.pcpu, k.pcpu, 'dom0 runs on the other pCPU');
      // dom0 starts at the kick, or when it blocked if that was later on its own pCPU's clock
      assert.ok(wake.time >= k.time, `dom0 woken at ${wake.time}, before the kick at ${k.time}`);
      if (wake.time === k.time) woken++;
      // then serves the one request waiting and sends: BACKEND_REQUEST_COST and a few actions
      const answer = notify.time - wake.time;
      assert.ok(answer >= BACKEND_REQUEST_COST && answer < BACKEND_REQUEST_COST + 10, `dom0 answered ${answer} ns after it was woken`);
    }
    assert.ok(woken >= 1, 'the first kick finds dom0 blocked since before it and wakes it at that instant');
  });

  it('the whole example (connect, write, flush, read) ends inside the first 10 µs round', () => {
    const end = records.find((r) => r.kind === 'domain' && r.domid === 1 && r.event === 'shutdown');
    assert.ok(end);
    // a round is the quantum on every pCPU; each request used to cost one whole round
    assert.ok(end.time < sys.hv.quantum * 1, `block finished at ${end.time} ns`);
    assert.strictEqual(sys.hv.roundStart, 0, 'no second round was needed');
    assert.ok(sys.now() >= end.time, "the machine's time is past the shutdown");
  });
});
