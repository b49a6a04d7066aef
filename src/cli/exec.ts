/**
 * `xensim exec IMAGE`: run a guest on the bare harness — one CPU in 32-bit flat protected mode
 * at ring 0 with paging off and IF=0, a built-in flat GDT (code 0x08, data 0x10, at physical
 * 0x800), ESP at the top of 16 MiB of RAM, port 0xE9 as the console (stdout).
 *
 * It ends on hlt (exit 0), a triple fault (exit 1, with the first exception named on stderr)
 * or the instruction limit (exit 124, like timeout(1)). Bad images exit 2 with the loader's
 * message. No IDT is installed: an exception the guest does not handle itself triple-faults.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cpu, REG_NAMES, SEG_NAMES } from '../cpu/cpu';
import { BarePlatform, enterFlatProtectedMode, installFlatGdt } from '../cpu/bare';
import { CpuEvent } from '../cpu/platform';
import { vectorName } from '../cpu/exceptions';
import { LoaderError, isElf, loadElf, loadFlat, parseElf32 } from '../loader';
import { CliIO, Command, UsageError } from './command';

const USAGE = 'usage: xensim exec IMAGE [--load ADDR] [--entry ADDR] [--max-instructions N] [--regs]';

export const RAM_SIZE = 16 << 20;
export const GDT_ADDR = 0x800;
export const DEFAULT_LOAD = 0x100000;
export const DEFAULT_MAX_INSTRUCTIONS = 1_000_000_000;
/** Instructions per run() call: the console is flushed between slices. */
const SLICE = 1 << 20;

interface Options {
  file: string;
  load: number;
  entry?: number;
  max: number;
  regs: boolean;
}

function number(text: string | undefined, flag: string, max: number): number {
  if (text === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
  if (!Number.isFinite(v) || v > max) throw new UsageError(`${flag}: '${text}' is not a number up to 0x${max.toString(16)} (decimal or 0x hex)`);
  return v;
}

function parseArgs(args: string[]): Options {
  let file: string | undefined;
  const o: Omit<Options, 'file'> = { load: DEFAULT_LOAD, max: DEFAULT_MAX_INSTRUCTIONS, regs: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--load') o.load = number(args[++i], a, 0xffffffff);
    else if (a === '--entry') o.entry = number(args[++i], a, 0xffffffff);
    else if (a === '--max-instructions') o.max = number(args[++i], a, Number.MAX_SAFE_INTEGER);
    else if (a === '--regs') o.regs = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else if (file === undefined) file = a;
    else throw new UsageError(`one image only\n${USAGE}`);
  }
  if (file === undefined) throw new UsageError(USAGE);
  return { file, ...o };
}

/** Place the image in RAM; returns the entry point. Throws LoaderError for a bad image. */
function loadImage(p: BarePlatform, bytes: Uint8Array, o: Options): number {
  const write = (addr: number, data: Uint8Array) => {
    if (addr < 0 || addr + data.length > RAM_SIZE) {
      throw new LoaderError(o.file, `0x${data.length.toString(16)} bytes at 0x${addr.toString(16)} do not fit in the harness's ${RAM_SIZE >> 20} MiB of RAM`);
    }
    p.bus.load(addr, data);
  };
  if (isElf(bytes)) {
    const image = parseElf32(bytes, o.file);
    if (image.loads.length === 0) throw new LoaderError(o.file, 'no PT_LOAD segments: nothing to run');
    loadElf(image, write);
    return o.entry ?? image.entry;
  }
  loadFlat(bytes, o.load, write, o.file);
  return o.entry ?? o.load;
}

/** The final state as `--regs` prints it. */
export function registerDump(cpu: Cpu, instructions: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'esp', 'ebp'] as const) {
    out[r] = cpu.r[REG_NAMES.indexOf(r)] >>> 0;
  }
  out.eip = cpu.eip >>> 0;
  out.eflags = cpu.getEflags() >>> 0;
  SEG_NAMES.forEach((name, i) => {
    out[name] = cpu.segSel[i];
  });
  out.cr0 = cpu.cr0 >>> 0;
  out.cr2 = cpu.cr2 >>> 0;
  out.cr3 = cpu.cr3 >>> 0;
  out.cr4 = cpu.cr4 >>> 0;
  out.instructions = instructions;
  return out;
}

export const execCommand: Command = async (args: string[], io: CliIO) => {
  const o = parseArgs(args);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(path.resolve(io.cwd, o.file)));
  } catch (e) {
    io.stderr(`xensim exec: ${o.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return 2;
  }
  const p = new BarePlatform(RAM_SIZE);
  const cpu = new Cpu(p);
  let entry: number;
  try {
    entry = loadImage(p, bytes, o);
  } catch (e) {
    if (!(e instanceof LoaderError)) throw e;
    io.stderr(`xensim exec: ${e.message}\n`);
    return 2;
  }
  installFlatGdt(cpu, p.bus, GDT_ADDR);
  enterFlatProtectedMode(cpu, entry, RAM_SIZE);
  cpu.idtrBase = 0;
  cpu.idtrLimit = 0;
  // Watch (never take) events so a triple fault can name the exception that started it.
  let first: CpuEvent | undefined;
  p.intercept = (ev) => {
    if (ev.kind !== 'external' && ev.kind !== 'soft') first ??= ev;
    return false;
  };
  let executed = 0;
  let stop = 'budget';
  while (executed < o.max) {
    const r = cpu.run(Math.min(SLICE, o.max - executed));
    executed += r.retired;
    flushConsole(p, io);
    if (r.stop === 'budget') continue;
    stop = r.stop;
    if (r.stop === 'hlt' || r.stop === 'triple-fault') break;
  }
  flushConsole(p, io);
  if (o.regs) io.stdout(JSON.stringify(registerDump(cpu, executed)) + '\n');
  if (stop === 'triple-fault') {
    const what = first ? ` (first exception #${vectorName(first.vector)}${first.errorCode !== undefined ? `(0x${first.errorCode.toString(16)})` : ''} at eip 0x${first.eip.toString(16)})` : '';
    io.stderr(`xensim exec: triple fault${what}\n`);
    return 1;
  }
  if (stop === 'hlt') return 0;
  io.stderr(`xensim exec: stopped after ${executed} instructions (--max-instructions)\n`);
  return 124;
};

function flushConsole(p: BarePlatform, io: CliIO): void {
  if (p.console.length === 0) return;
  io.stdout(Buffer.from(p.console).toString('latin1'));
  p.console.length = 0;
}
