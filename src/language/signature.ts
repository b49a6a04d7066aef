/**
 * Signature help for xen.inc's hypercall macros: while typing `HYPERCALL2 sched_op, ...` the
 * editor shows which register each argument lands in and what the hypercall expects there.
 */
import { MarkupKind, ParameterInformation, Position, SignatureHelp, SignatureInformation } from 'vscode-languageserver';
import { hypercallHover } from './hover';
import { HYPERCALL_ARG_REGISTERS, HYPERCALL_MACROS, hypercall } from './hypercalls';
import { asmCodeEnd, splitLines } from './text';

/** Commas outside quotes and brackets: the index of the operand the cursor is in. */
function operandIndex(text: string): number {
  let n = 0;
  let depth = 0;
  let quote = '';
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) n++;
  }
  return n;
}

export function asmSignatureHelp(text: string, pos: Position): SignatureHelp | null {
  const line = splitLines(text)[pos.line] ?? '';
  const before = line.slice(0, pos.character);
  if (asmCodeEnd(before) < before.length) return null;
  const m = /^\s*(?:[\w$#@~.?]+:\s*)?(\w+)\s+(.*)$/.exec(before);
  if (!m || !HYPERCALL_MACROS.has(m[1])) return null;
  const macro = m[1];
  const active = operandIndex(m[2]);
  const name = /^\s*(\w+)/.exec(m[2])?.[1];
  const hc = name ? hypercall(name) : undefined;
  // HYPERCALLn / INT82_n take n arguments after the name; HYPERCALL and HYPERCALL_INT82 none
  const count = Number(/(\d)$/.exec(macro)?.[1] ?? 0);
  const params = ['hypercall', ...HYPERCALL_ARG_REGISTERS.slice(0, count).map((reg, i) => `${reg}: ${hc?.args[i] ?? `argument ${i + 1}`}`)];
  const label = `${macro} ${params.join(', ')}`;
  let at = macro.length + 1;
  const parameters: ParameterInformation[] = params.map((p) => {
    const range: [number, number] = [at, at + p.length];
    at += p.length + 2;
    return { label: range };
  });
  const signature: SignatureInformation = {
    label,
    parameters,
    ...(hc ? { documentation: { kind: MarkupKind.Markdown, value: hypercallHover(hc) } } : {}),
  };
  return { signatures: [signature], activeSignature: 0, activeParameter: Math.min(active, params.length - 1) };
}
