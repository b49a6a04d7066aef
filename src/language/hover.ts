/** Hover text: instructions (summary and flags), registers, hypercalls, user names, directives; xl keys. */
import { Hover, MarkupKind, Position, Range } from 'vscode-languageserver';
import { parseNumber } from '../asm/lexer';
import { register } from '../asm/registers';
import { SourceSymbol } from './asmOutline';
import { HYPERCALL_ARG_REGISTERS, hypercall, HypercallInfo } from './hypercalls';
import { instruction, InstructionInfo } from './instructions';
import { definitionsOf, nameAt } from './navigation';
import { SourceIndex } from './sourceIndex';
import { asmWordAt, splitLines, xlWordAt } from './text';
import { xlKey, XlKeyInfo } from './xlKeys';
import { scanXl } from './xlOutline';

const DIRECTIVES: Record<string, string> = {
  bits: 'Code size for what follows: `bits 16` or `bits 32`',
  org: 'Address the output is assumed to load at (flat binaries)',
  section: 'Switch to (or open) a named section: `.text`, `.data`, `.bss`',
  segment: 'Same as `section`',
  align: 'Pad with NOPs (code) or zeros to a multiple of the operand',
  alignb: 'Reserve space up to a multiple of the operand (in a `nobits` section)',
  times: 'Repeat the rest of the line N times: `times 510-($-$$) db 0`',
  equ: 'Give the label a constant value: `len equ $ - msg`',
  db: 'Define bytes (numbers, characters, strings)', dw: 'Define 16-bit words', dd: 'Define 32-bit doublewords',
  dq: 'Define 64-bit quadwords', dt: 'Define 80-bit values', resb: 'Reserve N bytes (uninitialised)',
  resw: 'Reserve N words', resd: 'Reserve N doublewords', resq: 'Reserve N quadwords',
  struc: 'Begin a structure definition: its `.fields` become offsets `name.field`',
  endstruc: 'End a structure definition (defines `name_size`)',
  istruc: 'Begin an instance of a structure in data', at: 'Give a field of an `istruc` instance its value', iend: 'End an `istruc` instance',
  global: 'Export a symbol', extern: 'Import a symbol', incbin: 'Include a binary file verbatim',
  $: 'The address of the start of this line (`jmp $` loops forever)',
  $$: 'The address of the start of the current section (`$-$$` is the offset into it)',
};

/** Preprocessor directives, hovered on the word after `%`. */
const PREPROCESSOR: Record<string, string> = {
  define: 'Single-line macro: `%define NAME(args) body` (case-sensitive; `%idefine` is not)',
  xdefine: 'Single-line macro whose body is expanded when defined, not when used',
  undef: 'Forget a single-line macro',
  assign: 'Single-line macro holding a number, evaluated now: `%assign i i+1`',
  macro: 'Multi-line macro: `%macro NAME nparams` … `%endmacro`; `%1`… are the arguments, `%%label` is local to each expansion',
  endmacro: 'End of a multi-line macro',
  include: 'Insert another source file (searched next to this one, then in the include paths)',
  if: 'Assemble what follows when the expression is non-zero', ifdef: 'Assemble what follows when the macro is defined',
  ifndef: 'Assemble what follows when the macro is not defined (include guards)', elif: 'Else-if of %if', else: 'Else of %if',
  endif: 'End of %if', rep: 'Repeat the lines up to %endrep N times', endrep: 'End of %rep',
  error: 'Stop with an error message', warning: 'Print a warning', local: 'Context-local names in a macro',
};

function md(value: string, range: Range): Hover {
  return { contents: { kind: MarkupKind.Markdown, value }, range };
}

export function instructionHover(i: InstructionInfo): string {
  const flags = i.flags ? `Flags: ${i.flags}${i.undefinedFlags ? ` · undefined: ${i.undefinedFlags}` : ''}` : i.undefinedFlags ? `Flags undefined: ${i.undefinedFlags}` : 'Flags: not affected';
  return `**${i.mnemonic}** — ${i.summary}\n\n${flags}`;
}

export function hypercallHover(h: HypercallInfo): string {
  const rows = [`| eax | ${h.number} (\`__HYPERVISOR_${h.name}\`) |`, ...h.args.map((a, i) => `| ${HYPERCALL_ARG_REGISTERS[i]} | \`${a}\` |`)];
  return [
    `**${h.name}** — hypercall ${h.number}`,
    '',
    h.summary,
    '',
    '| register | argument |',
    '|---|---|',
    ...rows,
    '',
    `Returns in eax: ${h.returns}. Issued with \`int 0x82\` (PV), \`vmcall\` (HVM) or a call into the hypercall page (xen.inc's HYPERCALL macros).`,
  ].join('\n');
}

/** The comment lines right above a definition (how xen.inc documents its macros). */
function leadingComment(lines: readonly string[], line: number): string {
  const out: string[] = [];
  for (let l = line - 1; l >= 0 && out.length < 8; l--) {
    const m = /^\s*;+ ?(.*)$/.exec(lines[l]);
    if (!m) break;
    out.unshift(m[1]);
  }
  return out.join('\n');
}

function symbolHover(uri: string, defUri: string, s: SourceSymbol, index: SourceIndex): string {
  const what = { label: 'label', local: 'local label', equ: 'constant', define: 'single-line macro', macro: 'macro', struc: 'structure', field: 'structure field', 'macro-local': 'macro-local label' }[s.kind];
  const lines = splitLines(index.text(defUri) ?? '');
  const where = defUri === uri ? `line ${s.line + 1}` : `${defUri.slice(defUri.lastIndexOf('/') + 1)}:${s.line + 1}`;
  const doc = leadingComment(lines, s.line);
  return `(${what}) **${s.name}** — ${where}\n\n\`\`\`xen-asm\n${(lines[s.line] ?? '').trim()}\n\`\`\`${doc ? `\n\n${doc}` : ''}`;
}

/** What the last assembly of a document knows of a symbol: a label's address, an equ's value. */
export type AssembledLookup = (uri: string, name: string, definedIn: string) => { address: number; kind: string; size?: number; section?: string } | undefined;

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function assembledText(a: ReturnType<AssembledLookup>): string {
  if (!a) return '';
  if (a.kind === 'equ') return `\n\nValue: ${a.address} (0x${(a.address >>> 0).toString(16)})`;
  return `\n\nAddress: ${hex(a.address)}${a.section ? ` in ${a.section}` : ''}${a.size !== undefined ? `, ${a.size} bytes` : ''}`;
}

export function asmHover(index: SourceIndex, uri: string, text: string, pos: Position, assembled: AssembledLookup = () => undefined): Hover | null {
  const line = splitLines(text)[pos.line] ?? '';
  const word = asmWordAt(line, pos.character);
  if (!word) return null;
  const range = Range.create(pos.line, word.start, pos.line, word.end);
  const lower = word.text.toLowerCase();
  const name = nameAt(index, uri, text, pos);
  if (name !== undefined) {
    const defs = definitionsOf(index, uri, name);
    const hc = hypercall(word.text);
    if (defs.length) {
      const d = defs[0];
      const text = symbolHover(uri, d.uri, d.symbol, index) + assembledText(assembled(uri, d.symbol.name, d.uri));
      return md(hc && /^(?:__HYPERVISOR_|HYPERCALL_)/i.test(word.text) ? `${text}\n\n---\n\n${hypercallHover(hc)}` : text, range);
    }
    if (hc) return md(hypercallHover(hc), range);
  }
  const ins = instruction(lower);
  if (ins) return md(instructionHover(ins), range);
  if (/^(?:\d|\$\d)/.test(word.text)) {
    const n = parseNumber(word.text);
    if (typeof n === 'bigint') return md(numberHover(n), range);
  }
  const reg = register(lower);
  if (reg) {
    const cls = { gpr: 'general register', seg: 'segment register', cr: 'control register', dr: 'debug register' }[reg.cls];
    return md(`**${reg.name}** — ${reg.size * 8}-bit ${cls} (encoding ${reg.num})`, range);
  }
  const dir = DIRECTIVES[lower];
  if (dir) return md(`**${lower}** — ${dir}`, range);
  const pre = line[word.start - 1] === '%' ? PREPROCESSOR[lower] : undefined;
  if (pre) return md(`**%${lower}** — ${pre}`, Range.create(pos.line, word.start - 1, pos.line, word.end));
  return null;
}

/** A number in the radixes a guest author thinks in (and as characters when printable). */
export function numberHover(n: bigint): string {
  const u32 = BigInt.asUintN(32, n);
  const bytes = [0, 1, 2, 3].map((i) => Number((u32 >> BigInt(8 * i)) & 0xffn));
  while (bytes.length > 1 && bytes[bytes.length - 1] === 0) bytes.pop();
  const chars = bytes.every((b) => b >= 0x20 && b < 0x7f) ? ` · '${String.fromCharCode(...bytes)}'` : '';
  const signed = BigInt.asIntN(32, n) < 0n ? ` · ${BigInt.asIntN(32, n)} signed` : '';
  return `${n} · 0x${u32.toString(16)} · 0o${u32.toString(8)} · 0b${u32.toString(2)}${signed}${chars}`;
}

export function xlKeyHover(k: XlKeyInfo): string {
  const values = k.values ? `\n\nValues: ${k.values.map((v) => `\`${v}\``).join(', ')}` : '';
  const simulated = k.simulated ? '' : '\n\nxensim does not simulate this key: a config may carry it, and it is ignored.';
  return `**${k.key}** (${k.kind}) — ${k.summary}${values}${simulated}\n\nSee xl.cfg(5).`;
}

export function xlHover(text: string, pos: Position): Hover | null {
  const line = splitLines(text)[pos.line] ?? '';
  const word = xlWordAt(line, pos.character);
  if (!word) return null;
  const setting = scanXl(text).find((s) => s.line === pos.line && s.start === word.start);
  const info = setting ? xlKey(setting.key) : undefined;
  if (!info) return null;
  return md(xlKeyHover(info), Range.create(pos.line, word.start, pos.line, word.end));
}
