// examples/block through the CLI: a domU writes its disk through blkfront/blkback; the host
// file has the sectors afterwards.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectedLines, root, runCli } from './split-examples';

const example = path.join(root, 'examples', 'block');

describe('examples/block', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-blockex-'));
    for (const f of ['block.asm', 'block.cfg']) fs.copyFileSync(path.join(example, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(1 << 20));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const dom0 of [true, false]) {
    it(`writes, flushes, reads back; the image file holds the sectors (${dom0 ? 'with' : 'without'} dom0)`, async () => {
      const { code, out } = await runCli([...(dom0 ? [] : ['--no-dom0']), path.join(dir, 'block.cfg')], dir);
      assert.strictEqual(code, 0, out);
      for (const line of expectedLines(example)) assert.ok(out.includes(line), `missing: ${line}\n${out}`);
      const img = fs.readFileSync(path.join(dir, 'disk.img'));
      const src = fs.readFileSync(path.join(dir, 'block.asm'), 'utf8');
      const lines = [...src.matchAll(/db "(sector \d: [^"]*)", 10/g)].map((m) => m[1]);
      assert.strictEqual(lines.length, 4);
      lines.forEach((l, i) => assert.strictEqual(img.subarray(i * 512, i * 512 + l.length).toString('latin1'), l));
      assert.ok(img.subarray(4 * 512).every((b) => b === 0), 'nothing beyond the 4 sectors');
    });
  }
});
