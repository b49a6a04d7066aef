// Durability against a real kill: `node bin/xensim run writer.cfg` runs a domU that writes its disk
// through blkfront and dom0's blkback (flushing every 8 writes) and prints "acked N" after each
// write it saw acknowledged. The test reads the CLI's output as it is written and SIGKILLs the
// process right after the k-th acknowledgement line (k from a seeded PRNG); every sector the
// output acknowledged must be in the image file. Needs dist/ (`npm run build`; npm test builds).
// KILL_TRIALS sets the number of kills (default 50).
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { prng } from '../asm/prng';
import { sectorWritten, writerGuest } from './blk-writer';

const root = path.resolve(__dirname, '..', '..');
const WRITES = 200;
const TRIALS = Number(process.env.KILL_TRIALS ?? 50);
interface Outcome {
  acked: number[];
  signal: NodeJS.Signals | null;
  code: number | null;
  out: string;
}

/** Run the CLI in `dir`; kill it with SIGKILL once `killAfter` acknowledgement lines are out. */
function runAndKill(dir: string, killAfter: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'xensim'), 'run', '--pcpus', '1', 'writer.cfg'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let out = '';
    let partial = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = /\(writer\)\s+acked (\d+)$/.exec(l);
        if (!m) continue;
        acked.push(Number(m[1]));
        if (acked.length === killAfter) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString('latin1')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ acked, signal, code, out }));
  });
}

/** A directory with the writer's kernel, config and an empty disk. */
function writerDir(base: string, name: string): string {
  const dir = path.join(base, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'writer.asm'), writerGuest(WRITES));
  fs.writeFileSync(path.join(dir, 'writer.cfg'), `name = "writer"\nkernel = "writer.asm"\nmemory = 16\ndisk = ['format=raw, vdev=xvda, access=rw, target=disk.img']\non_poweroff = "destroy"\n`);
  fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(WRITES * 512));
  return dir;
}

describe('blkback durability: the CLI killed (SIGKILL) after acknowledged writes', function () {
  this.timeout(Math.max(120000, TRIALS * 6000));
  let base: string;
  before(function () {
    if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
    // A SIGKILL keeps what the process handed to the kernel, fsynced or not; tmpfs (where there
    // is one) keeps the flushes' fsyncs from dominating the test's time without changing that.
    base = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'xensim-kill-'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('a run left alone acknowledges every write and the file holds them all', async () => {
    const dir = writerDir(base, 'whole');
    const r = await runAndKill(dir, Infinity);
    assert.strictEqual(r.code, 0, r.out);
    assert.deepStrictEqual(r.acked, Array.from({ length: WRITES }, (_, i) => i));
    const img = fs.readFileSync(path.join(dir, 'disk.img'));
    for (let i = 0; i < WRITES; i++) assert.ok(sectorWritten(img, i), `sector ${i}`);
  });

  it(`killed at ${TRIALS} seeded acknowledgements: every acknowledged sector is in the file`, async () => {
    const rnd = prng(0xd15c);
    const ks = Array.from({ length: TRIALS }, () => 1 + Math.floor((rnd() / 2 ** 32) * (WRITES - 1)));
    let early = 0;
    const trial = async (t: number) => {
      const dir = writerDir(base, `t${t}`);
      const r = await runAndKill(dir, ks[t]);
      assert.ok(r.acked.length >= ks[t], `trial ${t}: only ${r.acked.length} acknowledgements before the end (kill at ${ks[t]})\n${r.out}`);
      const img = fs.readFileSync(path.join(dir, 'disk.img'));
      for (const i of r.acked) assert.ok(sectorWritten(img, i), `trial ${t} (killed after ack ${ks[t]}): acknowledged sector ${i} is not in the file`);
      if (r.signal === 'SIGKILL' && r.acked.length < WRITES) early++;
    };
    // two at a time: the machine has two cores, and each trial is its own process and file
    for (let t = 0; t < TRIALS; t += 2) await Promise.all([t, t + 1].filter((i) => i < TRIALS).map(trial));
    // the kills must land before the run ends, or the test proves nothing
    assert.ok(early >= TRIALS * 0.8, `only ${early} of ${TRIALS} kills landed before the guest finished`);
  });
});
