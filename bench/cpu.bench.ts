/**
 * CPU speed: MIPS of our interpreter on (a) a `dec ecx / jnz` loop of 10^8 iterations, (b) a
 * 64 MiB copy with `rep movsd` and with a mov loop, a loop of memory operands (loads, stores,
 * read-modify-write, push/pop), (c) a paging-on loop touching 10^5 pages;
 * beside qemu-i386 running the same 32-bit loops and the same loop run natively as x86-64,
 * measured in the same run and printed as ratios.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import type { Cpu } from '../src/cpu/cpu';
import type { BarePlatform, enterFlatProtectedMode } from '../src/cpu/bare';

/**
 * The CPU as shipped: bundled by esbuild (as dist/ is), so cross-module constants and
 * functions are direct references. Running it through esbuild-register's per-file CommonJS
 * instead costs a getter call per imported binding and runs several times slower.
 */
interface CpuModule {
  Cpu: typeof Cpu;
  BarePlatform: typeof BarePlatform;
  enterFlatProtectedMode: typeof enterFlatProtectedMode;
}

function bundleCpu(dir: string): CpuModule {
  const out = path.join(dir, 'cpu-bundle.js');
  esbuild.buildSync({
    stdin: {
      contents: "export { Cpu } from './src/cpu/cpu';\nexport { BarePlatform, enterFlatProtectedMode } from './src/cpu/bare';\n",
      resolveDir: path.resolve(__dirname, '..'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    outfile: out,
    logLevel: 'warning',
  });
  return require(out) as CpuModule;
}

let M: CpuModule;

const LOOP_ITERS = 100_000_000;
const COPY_BYTES = 64 << 20;
const PAGES = 100_000;
const MEMMIX_ITERS = 10_000_000;

function nasm(src: string, format: string, dir: string, name: string): string {
  const s = path.join(dir, name + '.asm');
  const o = path.join(dir, name + (format === 'bin' ? '.bin' : '.o'));
  fs.writeFileSync(s, src);
  execFileSync('nasm', ['-f', format, '-o', o, s]);
  return o;
}

function elf(src: string, bits: 32 | 64, dir: string, name: string): string {
  const o = nasm(src, bits === 32 ? 'elf32' : 'elf64', dir, name);
  const exe = path.join(dir, name);
  execFileSync('ld', bits === 32 ? ['-m', 'elf_i386', '-o', exe, o] : ['-o', exe, o]);
  return exe;
}

function seconds(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const LOOP = (iters: number) => `mov ecx, ${iters}\nl: dec ecx\njnz l\n`;
const MOVLOOP = (bytes: number) => `mov esi, 0x1000000\nmov edi, 0x5000000\nmov ecx, ${bytes / 4}\nl: mov eax, [esi]\nmov [edi], eax\nadd esi, 4\nadd edi, 4\ndec ecx\njnz l\n`;
/** Memory operands of the common kinds: load, read-modify-write, store, push/pop, ALU source. */
const MEMMIX = (iters: number) => `mov esi, 0x1000000\nmov ecx, ${iters}\nl: mov eax, [esi]\nadd [esi+4], eax\nmov [esi+8], ecx\npush eax\npop ebx\nadd ebx, [esi+8]\ndec ecx\njnz l\n`;
const REPMOVS = (bytes: number) => `cld\nmov esi, 0x1000000\nmov edi, 0x5000000\nmov ecx, ${bytes / 4}\nrep movsd\n`;

function ours(body: string, ramMiB: number, dir: string, setup?: (cpu: Cpu, p: BarePlatform) => void): { s: number; retired: number } {
  const p = new M.BarePlatform(ramMiB << 20);
  const cpu = new M.Cpu(p);
  const bin = fs.readFileSync(nasm(`bits 32\norg 0x100000\n${body}hlt\n`, 'bin', dir, 'ours'));
  p.bus.load(0x100000, bin);
  M.enterFlatProtectedMode(cpu, 0x100000, 0x80000);
  if (setup) setup(cpu, p);
  let retired = 0;
  const s = seconds(() => {
    for (;;) {
      const r = cpu.run(10_000_000);
      retired += r.retired;
      if (r.stop !== 'budget') {
        if (r.stop !== 'hlt') throw new Error(`bench stopped: ${r.stop}`);
        break;
      }
    }
  });
  return { s, retired };
}

function peer(exe: string, runner?: string): number {
  return seconds(() => execFileSync(runner ?? exe, runner ? [exe] : []));
}

const EXIT32 = 'mov eax, 1\nxor ebx, ebx\nint 0x80\n';
const EXIT64 = 'mov eax, 60\nxor edi, edi\nsyscall\n';

function row(name: string, instr: number, s: number, peers: [string, number][]): void {
  const mips = instr / s / 1e6;
  const rel = peers.map(([n, ps]) => `${n} ${(ps / s).toFixed(3)}x (${ps.toFixed(3)} s)`).join(', ');
  console.log(`${name.padEnd(28)} ${mips.toFixed(1).padStart(8)} MIPS  ${s.toFixed(3)} s   speed vs ${rel || '-'}`);
}

export default async function bench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-bench-'));
  try {
    M = bundleCpu(dir);
    // (a) dec/jnz loop
    const a = ours(LOOP(LOOP_ITERS), 16, dir);
    const qa = peer(elf(`bits 32\nglobal _start\n_start:\n${LOOP(LOOP_ITERS)}${EXIT32}`, 32, dir, 'qloop'), 'qemu-i386');
    const na = peer(elf(`bits 64\nglobal _start\n_start:\n${LOOP(LOOP_ITERS)}${EXIT64}`, 64, dir, 'nloop'));
    row('dec/jnz loop 1e8', a.retired, a.s, [['qemu-i386', qa], ['native x86-64', na]]);

    // (b) 64 MiB copies
    const qelf = (body: string, name: string) => elf(`bits 32\nglobal _start\nsection .text\n_start:\nmov ebx, bufs\n${body.replace(/0x1000000/g, 'bufs').replace(/0x5000000/g, `bufs+${COPY_BYTES}`)}${EXIT32}section .bss\nalignb 4096\nbufs: resb ${2 * COPY_BYTES}\n`, 32, dir, name);
    const b1 = ours(REPMOVS(COPY_BYTES), 160, dir);
    // MIPS here counts movsd iterations (one rep instruction copies the whole block)
    row('rep movsd 64 MiB', COPY_BYTES / 4, b1.s, [['qemu-i386', peer(qelf(REPMOVS(COPY_BYTES), 'qrep'), 'qemu-i386')]]);
    const b2 = ours(MOVLOOP(COPY_BYTES), 160, dir);
    row('mov loop copy 64 MiB', b2.retired, b2.s, [['qemu-i386', peer(qelf(MOVLOOP(COPY_BYTES), 'qmov'), 'qemu-i386')]]);
    const b3 = ours(MEMMIX(MEMMIX_ITERS), 32, dir);
    row('memory operand mix 1e7', b3.retired, b3.s, [['qemu-i386', peer(qelf(MEMMIX(MEMMIX_ITERS), 'qmix'), 'qemu-i386')]]);

    // (c) paging on: 10^5 linear pages (4 MiB-aligned region at 1 GiB) mapped onto 64 frames, one write each
    const c = ours(
      `mov eax, cr0\nor eax, 0x80000000\nmov cr0, eax\nmov edi, 0x40000000\nmov ecx, ${PAGES}\nl: mov [edi], ecx\nadd edi, 4096\ndec ecx\njnz l\n`,
      16,
      dir,
      (cpu, p) => {
        const dv = new DataView(p.bus.bytes.buffer);
        const pd = 0x200000;
        cpu.cr3 = pd;
        dv.setUint32(pd + 0, 0x00000083 | 0, true); // identity 4 MiB page for the code
        cpu.cr4 = 0x10;
        const tables = Math.ceil(PAGES / 1024);
        for (let t = 0; t < tables; t++) {
          const pt = 0x300000 + t * 4096;
          dv.setUint32(pd + (256 + t) * 4, pt | 7, true);
          for (let e = 0; e < 1024; e++) dv.setUint32(pt + e * 4, (0x800000 + (e % 64) * 4096) | 7, true);
        }
      },
    );
    row('paging on, 1e5 pages', c.retired, c.s, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
