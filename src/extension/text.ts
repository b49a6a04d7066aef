/** The extension's read-only documents as text (a trace, a memory dump): pure, tested without VS Code. */
import { fromJsonLine } from '../trace/jsonl';
import { formatRecord } from '../trace/format';

/** beyond this many records the document says how many more there are */
const MAX_RECORDS = 200_000;

export function formatTraceText(file: string, text: string): string {
  const names = new Map<number, string>();
  const out: string[] = [];
  let total = 0;
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    total++;
    if (out.length >= MAX_RECORDS) continue;
    try {
      const r = fromJsonLine(line);
      if (r.kind === 'domain') names.set(r.domid, r.name);
      out.push(formatRecord(r, { domainName: (id) => `d${id}${names.has(id) ? ` ${names.get(id)}` : ''}` }));
    } catch {
      bad++;
      out.push(`?? ${line.slice(0, 120)}`);
    }
  }
  const head = `# ${file}: ${total} records${bad ? `, ${bad} unreadable` : ''}${total > out.length ? ` (first ${out.length} shown)` : ''}`;
  return [head, ...out].join('\n') + '\n';
}

export function hexDump(base: number, bytes: Uint8Array, unreadable = 0): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47);
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${((base + off) >>> 0).toString(16).padStart(8, '0')}  ${hex}  ${ascii}`);
  }
  if (unreadable) lines.push(`(${unreadable} bytes after this are not mapped)`);
  return lines.join('\n') + '\n';
}
