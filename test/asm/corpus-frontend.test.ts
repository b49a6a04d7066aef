import * as assert from 'assert';
import { corpusLines } from './corpus';
import { nasm, ours } from './nasm-run';

/**
 * The opcode table's instruction corpus (every mnemonic × operand kinds × addressing modes),
 * as one source file through the whole front end (lexer, parser, operand shaping, passes):
 * the image must equal NASM's for the same file.
 */
describe('asm: the instruction corpus through the front end against nasm -f bin', () => {
  for (const bits of [32, 16] as const) {
    it(`bits ${bits}`, function () {
      this.timeout(60_000);
      const lines = corpusLines();
      const src = [`bits ${bits}`, ...lines].join('\n') + '\n';
      const want = nasm(src, {}, ['-w-all']);
      // lines NASM rejects in this mode are left out, so both see the same accepted program
      const rejected = new Set([...want.messages.matchAll(/main\.asm:(\d+): error/g)].map((m) => Number(m[1])));
      const kept = [`bits ${bits}`, ...lines.filter((l, i) => !rejected.has(i + 2))].join('\n') + '\n';
      const again = rejected.size ? nasm(kept, {}, ['-w-all']) : want;
      assert.ok(again.bytes, again.messages.slice(0, 2000));
      const got = ours(kept);
      assert.deepStrictEqual(got.errors.slice(0, 5).map((e) => `${e.line}: ${e.message}`), []);
      const a = Buffer.from(got.image);
      const b = again.bytes;
      if (!a.equals(b)) {
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        const line = got.lineMap.lookup(i)?.line ?? 0;
        assert.fail(`first difference at byte ${i}, line ${line}: ${kept.split('\n')[line - 1]}`);
      }
    });
  }
});
