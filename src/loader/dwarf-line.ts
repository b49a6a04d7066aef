// DWARF .debug_line (versions 2 to 5): the line-number programs of an ELF image, run into
// rows (address → file, line, column), and a LineMap for the debugger's two questions:
// which source line is this address, and which addresses start this source line.
import * as path from 'path';
import { ElfImage, ElfSection } from './elf';
import { LoaderError } from './errors';

export interface LineRow {
  readonly address: number;
  /** Full path as the producer recorded it (directory joined with the file name). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly isStmt: boolean;
  /** The first address after a sequence; its other fields repeat the last row's. */
  readonly endSequence: boolean;
}

export interface LineProgram {
  /** Offset of the unit in .debug_line. */
  readonly offset: number;
  readonly version: number;
  readonly files: readonly string[];
  readonly rows: readonly LineRow[];
}

// DW_LNCT_* and DW_FORM_* values (DWARF 5, section 7.5.6 and 7.22)
const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;
const FORM = {
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  data16: 0x1e,
  string: 0x08,
  strp: 0x0e,
  udata: 0x0f,
  sdata: 0x0d,
  line_strp: 0x1f,
} as const;

class Cursor {
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
    private readonly fail: (msg: string) => never,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.end) this.fail(`.debug_line: unit truncated at offset 0x${this.pos.toString(16)}`);
  }
  u8(): number {
    this.need(1);
    return this.dv.getUint8(this.pos++);
  }
  s8(): number {
    this.need(1);
    return this.dv.getInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 0x1_0000_0000 + lo;
  }
  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }
  sleb(): number {
    let result = 0;
    let mul = 1;
    let b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    return b & 0x40 ? result - mul : result;
  }
  cstring(): string {
    const start = this.pos;
    while (this.pos < this.end && this.bytes[this.pos] !== 0) this.pos++;
    if (this.pos >= this.end) this.fail('.debug_line: unterminated string');
    const s = new TextDecoder('utf-8').decode(this.bytes.subarray(start, this.pos));
    this.pos++;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

function strAt(bytes: Uint8Array, sec: ElfSection | undefined, off: number, fail: (m: string) => never, name: string): string {
  if (!sec) fail(`.debug_line refers to ${name}, which the image lacks`);
  if (off >= sec.size) fail(`.debug_line: ${name} offset 0x${off.toString(16)} out of range`);
  let end = sec.offset + off;
  while (end < sec.offset + sec.size && bytes[end] !== 0) end++;
  return new TextDecoder('utf-8').decode(bytes.subarray(sec.offset + off, end));
}

/** Parses every line-number program of the image; [] when it has no .debug_line. */
export function parseDebugLine(image: ElfImage): LineProgram[] {
  const sec = image.sections.find((s) => s.name === '.debug_line');
  if (!sec) return [];
  const fail = (msg: string): never => {
    throw new LoaderError(image.file, msg);
  };
  const lineStr = image.sections.find((s) => s.name === '.debug_line_str');
  const str = image.sections.find((s) => s.name === '.debug_str');
  const out: LineProgram[] = [];
  let off = sec.offset;
  const end = sec.offset + sec.size;
  while (off < end) {
    const c = new Cursor(image.bytes, off, end, fail);
    let unitLength = c.u32();
    let offsetSize = 4;
    if (unitLength === 0xffffffff) {
      unitLength = c.u64();
      offsetSize = 8;
    }
    const unitEnd = c.pos + unitLength;
    if (unitEnd > end) fail(`.debug_line: unit at 0x${(off - sec.offset).toString(16)} runs past the section`);
    const u = new Cursor(image.bytes, c.pos, unitEnd, fail);
    out.push(parseUnit(u, off - sec.offset, offsetSize, image.bytes, lineStr, str, fail));
    off = unitEnd;
  }
  return out;
}

function parseUnit(
  c: Cursor,
  unitOffset: number,
  offsetSize: number,
  bytes: Uint8Array,
  lineStr: ElfSection | undefined,
  str: ElfSection | undefined,
  fail: (m: string) => never,
): LineProgram {
  const version = c.u16();
  if (version < 2 || version > 5) fail(`.debug_line: unsupported DWARF version ${version}`);
  let addressSize = 4;
  if (version >= 5) {
    addressSize = c.u8();
    c.u8(); // segment selector size
  }
  const headerLength = offsetSize === 8 ? c.u64() : c.u32();
  const programStart = c.pos + headerLength;
  const minInst = c.u8();
  if (version >= 4) c.u8(); // maximum_operations_per_instruction: 1 on x86
  const defaultIsStmt = c.u8() !== 0;
  const lineBase = c.s8();
  const lineRange = c.u8();
  const opcodeBase = c.u8();
  if (lineRange === 0) fail('.debug_line: line_range is 0');
  const stdLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(c.u8());

  const offsetAt = () => (offsetSize === 8 ? c.u64() : c.u32());
  let dirs: string[] = [];
  let files: string[] = [];
  if (version >= 5) {
    const readEntries = (): { path: string; dir: number }[] => {
      const formatCount = c.u8();
      const formats: [number, number][] = [];
      for (let i = 0; i < formatCount; i++) formats.push([c.uleb(), c.uleb()]);
      const count = c.uleb();
      const entries: { path: string; dir: number }[] = [];
      for (let i = 0; i < count; i++) {
        const e = { path: '', dir: 0 };
        for (const [lnct, form] of formats) {
          let s: string | undefined;
          let n: number | undefined;
          switch (form) {
            case FORM.string: s = c.cstring(); break;
            case FORM.line_strp: s = strAt(bytes, lineStr, offsetAt(), fail, '.debug_line_str'); break;
            case FORM.strp: s = strAt(bytes, str, offsetAt(), fail, '.debug_str'); break;
            case FORM.udata: n = c.uleb(); break;
            case FORM.sdata: n = c.sleb(); break;
            case FORM.data1: n = c.u8(); break;
            case FORM.data2: n = c.u16(); break;
            case FORM.data4: n = c.u32(); break;
            case FORM.data8: n = c.u64(); break;
            case FORM.data16: c.skip(16); break;
            case FORM.block: c.skip(c.uleb()); break;
            case FORM.block1: c.skip(c.u8()); break;
            default: fail(`.debug_line: unsupported form 0x${form.toString(16)} in the file table`);
          }
          if (lnct === DW_LNCT_path && s !== undefined) e.path = s;
          if (lnct === DW_LNCT_directory_index && n !== undefined) e.dir = n;
        }
        entries.push(e);
      }
      return entries;
    };
    dirs = readEntries().map((e) => e.path);
    files = readEntries().map((e) => join(dirs[e.dir] ?? '', e.path));
  } else {
    // Index 0 is the compilation directory, which only .debug_info knows: leave it relative.
    dirs = [''];
    for (let d = c.cstring(); d !== ''; d = c.cstring()) dirs.push(d);
    files = [''];
    for (let f = c.cstring(); f !== ''; f = c.cstring()) {
      const dir = c.uleb();
      c.uleb(); // mtime
      c.uleb(); // length
      files.push(join(dirs[dir] ?? '', f));
    }
  }
  c.pos = programStart;

  const rows: LineRow[] = [];
  const initialFile = version >= 5 ? 0 : 1;
  let address = 0;
  let file = initialFile;
  let line = 1;
  let column = 0;
  let isStmt = defaultIsStmt;
  const reset = () => {
    address = 0;
    file = initialFile;
    line = 1;
    column = 0;
    isStmt = defaultIsStmt;
  };
  const emit = (endSequence: boolean) =>
    rows.push({ address: address >>> 0, file: files[file] ?? `<file ${file}>`, line, column, isStmt, endSequence });

  while (c.pos < c.end) {
    const op = c.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      address += Math.floor(adj / lineRange) * minInst;
      line += lineBase + (adj % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = c.uleb();
        const next = c.pos + len;
        const sub = len > 0 ? c.u8() : 0;
        if (sub === 1) {
          emit(true);
          reset();
        } else if (sub === 2) {
          address = addressSize === 8 ? c.u64() : c.u32();
        } else if (sub === 3 && version < 5) {
          const f = c.cstring();
          const dir = c.uleb();
          files.push(join(dirs[dir] ?? '', f));
        }
        c.pos = next; // DW_LNE_set_discriminator and unknown extended opcodes: skipped
        break;
      }
      case 1:
        emit(false);
        break;
      case 2:
        address += c.uleb() * minInst;
        break;
      case 3:
        line += c.sleb();
        break;
      case 4:
        file = c.uleb();
        break;
      case 5:
        column = c.uleb();
        break;
      case 6:
        isStmt = !isStmt;
        break;
      case 8:
        address += Math.floor((255 - opcodeBase) / lineRange) * minInst;
        break;
      case 9:
        address += c.u16();
        break;
      case 7:
      case 10:
      case 11:
        break;
      default:
        for (let i = 0; i < stdLengths[op]; i++) c.uleb(); // DW_LNS_set_isa and unknown opcodes
    }
  }
  return { offset: unitOffset, version, files, rows };
}

function join(dir: string, file: string): string {
  return dir === '' || path.posix.isAbsolute(file) ? file : path.posix.join(dir, file);
}

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Start of the row's address range. */
  readonly address: number;
}

/** Address ↔ source line lookups over all programs of an image. */
export class LineMap {
  /** Non-empty address ranges [start, end) with the row that describes them, sorted. */
  private readonly ranges: { start: number; end: number; row: LineRow }[] = [];
  private readonly byLine = new Map<string, number[]>();

  constructor(programs: readonly LineProgram[]) {
    for (const p of programs) {
      for (let i = 0; i + 1 < p.rows.length; i++) {
        const r = p.rows[i];
        const next = p.rows[i + 1];
        if (r.endSequence) continue;
        // Rows sharing an address describe empty ranges; only the last one covers code.
        if (next.address > r.address) this.ranges.push({ start: r.address, end: next.address, row: r });
        if (r.isStmt) {
          const key = `${r.file}:${r.line}`;
          const list = this.byLine.get(key) ?? [];
          if (!list.includes(r.address)) list.push(r.address);
          this.byLine.set(key, list);
        }
      }
    }
    this.ranges.sort((a, b) => a.start - b.start);
    for (const l of this.byLine.values()) l.sort((a, b) => a - b);
  }

  static fromImage(image: ElfImage): LineMap {
    return new LineMap(parseDebugLine(image));
  }

  /** The source line of the instruction at `addr`. */
  at(addr: number): SourceLocation | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid];
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return { file: r.row.file, line: r.row.line, column: r.row.column, address: r.start };
    }
    return undefined;
  }

  /**
   * Statement addresses of `line` in `file` (a full path, or a path suffix such as
   * `common/console.c`), lowest first: where a source breakpoint goes.
   */
  addressesOf(file: string, line: number): number[] {
    const exact = this.byLine.get(`${file}:${line}`);
    if (exact) return [...exact];
    const out = new Set<number>();
    for (const [key, addrs] of this.byLine) {
      const sep = key.lastIndexOf(':');
      const f = key.slice(0, sep);
      if (Number(key.slice(sep + 1)) === line && (f.endsWith('/' + file) || f === file)) addrs.forEach((a) => out.add(a));
    }
    return [...out].sort((a, b) => a - b);
  }

  /** Every source file with line information. */
  files(): string[] {
    return [...new Set([...this.byLine.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))].sort();
  }
}
