import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { asmCompletion, xlCompletion } from '../../src/language/completion';
import { asmHover, xlHover } from '../../src/language/hover';
import { findDefinition, findReferences } from '../../src/language/navigation';
import { asmSignatureHelp } from '../../src/language/signature';
import { SourceIndex } from '../../src/language/sourceIndex';
import { asmDocumentSymbols } from '../../src/language/symbols';
import { splitLines } from '../../src/language/text';

/** A small seeded PRNG (mulberry32) so the sampled positions are the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const root = path.resolve(__dirname, '..', '..');

describe('language features on half-typed text', () => {
  it('answer at any position of any prefix of xen.inc, a guest and a config without throwing', () => {
    const rand = prng(0x5eed);
    const texts = [
      fs.readFileSync(path.join(root, 'guest', 'include', 'xen.inc'), 'utf8'),
      'start: mov eax, [ebx+\n.l: jmp .\n%macro m 1\n%%x: loop %%\n"unterminated\n`esc\\',
    ];
    const cfg = 'name = "a\nvif = [ "x",\n memory = 0x\non_crash = "\n;;= ["\n';
    let calls = 0;
    for (const full of texts) {
      for (let k = 0; k < 40; k++) {
        const text = full.slice(0, Math.floor(rand() * full.length));
        const uri = 'file:///virtual/guest.asm';
        const index = new SourceIndex((u) => (u === uri ? text : undefined));
        const lines = splitLines(text);
        assert.ok(Array.isArray(asmDocumentSymbols(index.outline(uri)!, lines)));
        for (let n = 0; n < 25; n++) {
          const line = Math.floor(rand() * lines.length);
          const pos = { line, character: Math.floor(rand() * (lines[line].length + 1)) };
          asmHover(index, uri, text, pos);
          asmCompletion(index, uri, text, pos);
          asmSignatureHelp(text, pos);
          findDefinition(index, uri, text, pos);
          findReferences(index, uri, text, pos, true, [uri]);
          calls++;
        }
      }
    }
    for (let cut = 0; cut <= cfg.length; cut++) {
      const text = cfg.slice(0, cut);
      const lines = splitLines(text);
      const pos = { line: lines.length - 1, character: lines[lines.length - 1].length };
      xlHover(text, pos);
      xlCompletion(new SourceIndex(() => undefined), 'file:///virtual/a.xl', text, pos);
      calls++;
    }
    assert.ok(calls > 2000, `${calls} calls`);
  });
});
