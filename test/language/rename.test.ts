import * as assert from 'assert';
import { rename, RenameError } from '../../src/language/rename';
import { SourceIndex } from '../../src/language/sourceIndex';
import { splitLines } from '../../src/language/text';

const URI = 'file:///ws/g.asm';

/** Applies a rename to the one in-memory file and returns the new text. */
function renamed(text: string, line: number, character: number, newName: string): string {
  const index = new SourceIndex((u) => (u === URI ? text : undefined));
  const edit = rename(index, URI, text, { line, character }, newName, [URI], () => true);
  const lines = splitLines(text);
  const edits = [...(edit.changes?.[URI] ?? [])].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
  for (const e of edits) {
    const l = lines[e.range.start.line];
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return lines.join('\n');
}

describe('rename', () => {
  it('renames a macro-local label inside its macro only', () => {
    const src = '%macro m 0\n%%x: jmp %%x\n%endmacro\n%macro n 0\n%%x: jmp %%x\n%endmacro\n';
    assert.strictEqual(renamed(src, 1, 1, 'again'), '%macro m 0\n%%again: jmp %%again\n%endmacro\n%macro n 0\n%%x: jmp %%x\n%endmacro\n');
  });

  it('renames a struc with the qualified uses of its fields, and a field alone', () => {
    const src = 'struc point\n.x resd 1\nendstruc\n  mov eax, [ebx + point.x]\n';
    assert.strictEqual(renamed(src, 0, 7, 'pt'), 'struc pt\n.x resd 1\nendstruc\n  mov eax, [ebx + pt.x]\n');
    assert.strictEqual(renamed(src, 3, 23, 'point.xpos'), 'struc point\n.xpos resd 1\nendstruc\n  mov eax, [ebx + point.xpos]\n');
  });

  it('renames %define and equ names, and refuses a register', () => {
    assert.strictEqual(renamed('%define N 4\nM equ N*2\n  mov eax, M\n', 1, 0, 'EIGHT'), '%define N 4\nEIGHT equ N*2\n  mov eax, EIGHT\n');
    assert.throws(() => renamed('a: jmp a\n', 0, 0, 'eax'), RenameError);
  });
});
