// Durability: stop the simulation at seeded random points while a domU writes its disk; every
// write blkback acknowledged (BLKIF_RSP_OKAY pushed), and every write the guest saw
// acknowledged, is in the image file — nothing is buffered in the simulator.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blkbacksOf } from '../../src/xen/dom0/blkback-service';
import { boot } from './guest';
import { prng } from '../asm/prng';
import { sectorWritten, writerGuest } from './blk-writer';

const WRITES = 48;
const TRIALS = Number(process.env.BLK_TRIALS ?? 50);

const source = writerGuest(WRITES);

describe('blkback durability', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-durable-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(maxInstructions: number, trial: number) {
    const img = path.join(dir, `d${trial}.img`);
    fs.writeFileSync(img, Buffer.alloc(64 * 512));
    const b = boot([{ name: 'writer', source, extra: `disk = ['format=raw, vdev=xvda, access=rw, target=${img}']` }]);
    b.sys.run({ maxInstructions, untilTimeNs: 1e9 });
    // "killed" here: nothing of the simulator is closed or flushed before the file is read
    const onFile = fs.readFileSync(img);
    const acked = b.sys.readMemory(1, 'gva', b.sys.image(1)!.symbolAddress('acked')!, 4).reduce<number>((s, x, i) => s + (x! << (8 * i)), 0);
    const be = [...(blkbacksOf(b.sys.hv).values())][0];
    return { onFile, acked, pushed: be?.stats.writes ?? 0, state: b.sys.domain(1).state, instructions: b.sys.instructionsRetired() };
  }

  it('a complete run writes every sector', () => {
    const r = run(50_000_000, 0);
    assert.strictEqual(r.state, 'shutdown');
    assert.strictEqual(r.acked, WRITES);
    for (let i = 0; i < WRITES; i++) assert.ok(sectorWritten(r.onFile, i), `sector ${i}`);
  });

  it(`stopped at ${TRIALS} seeded points: every acknowledged sector is in the file`, () => {
    const full = run(50_000_000, 1000);
    const rnd = prng(0x5eed);
    let partial = 0;
    for (let t = 1; t <= TRIALS; t++) {
      const cut = Math.floor((rnd() / 2 ** 32) * full.instructions);
      const r = run(cut, t);
      assert.ok(r.acked <= r.pushed, `trial ${t}: guest saw ${r.acked} acks, blkback pushed ${r.pushed}`);
      for (let i = 0; i < r.pushed; i++) assert.ok(sectorWritten(r.onFile, i), `trial ${t} (stop at ${cut}): acknowledged sector ${i} missing`);
      if (r.pushed > 0 && r.pushed < WRITES) partial++;
    }
    assert.ok(partial >= TRIALS / 4, `only ${partial} trials stopped mid-way: the cut points miss the writes`);
  });
});
