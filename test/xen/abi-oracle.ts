// The oracle for Xen's ABI: Debian's /usr/include/xen (libxen-dev) compiled by `gcc -m32`.
// Used by the ABI test (to check our tables) and by abi-generate.ts (to write them).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const XEN_INCLUDE = '/usr/include/xen';

// Without the interface-version define the headers give the old numbers (sched_op = 6);
// __XEN_TOOLS__ unlocks domctl.h, which the toolstack in dom0 speaks.
export const XEN_CFLAGS = [
  '-m32',
  '-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__',
  '-D__XEN_TOOLS__',
];

export const XEN_HEADERS = [
  'xen/xen.h',
  'xen/event_channel.h',
  'xen/sched.h',
  'xen/vcpu.h',
  'xen/memory.h',
  'xen/version.h',
  'xen/callback.h',
  'xen/grant_table.h',
  'xen/features.h',
  'xen/errno.h',
  'xen/elfnote.h',
  'xen/domctl.h',
  'xen/hvm/hvm_op.h',
  'xen/hvm/params.h',
  'xen/arch-x86/cpuid.h',
  'xen/arch-x86/hvm/start_info.h',
];

export function headersPresent(): boolean {
  return fs.existsSync(path.join(XEN_INCLUDE, 'xen.h')) && toolPresent('gcc', ['--version']);
}

export function toolPresent(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The C prologue: every header of XEN_HEADERS, then `extra` (e.g. the io/ ring headers). */
export function includeBlock(extra: readonly string[] = []): string {
  return ['#include <stdint.h>', '#include <stddef.h>', '#include <stdio.h>', ...[...XEN_HEADERS, ...extra].map((h) => `#include <${h}>`)].join('\n') + '\n';
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-abi-'));
}

/** Compiles a C program (with every Xen header included) and returns what it prints. */
export function compileAndRun(body: string, extra: readonly string[] = []): string {
  const dir = tmpDir();
  try {
    const src = path.join(dir, 'abi.c');
    const exe = path.join(dir, 'abi');
    fs.writeFileSync(src, includeBlock(extra) + body);
    try {
      execFileSync('gcc', [...XEN_CFLAGS, '-o', exe, src], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    } catch (e) {
      throw new Error(`gcc failed:\n${String((e as { stderr?: string }).stderr ?? e)}`);
    }
    return execFileSync(exe, { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Object-like macro names defined by the headers (`gcc -E -dM`). */
export function macroNames(extra: readonly string[] = []): string[] {
  const out = execFileSync('gcc', [...XEN_CFLAGS, '-E', '-dM', '-x', 'c', '-'], { input: includeBlock(extra), encoding: 'utf8' });
  const names: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^#define ([A-Za-z_][A-Za-z0-9_]*)(\s|$)/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

/** The XEN_E* names, from errno.h's own XEN_ERRNO(name, value) list. */
export function errnoNames(): string[] {
  const src = '#define XEN_ERRNO(name, value) XENSIM_ERRNO name\n#include <xen/errno.h>\n';
  const out = execFileSync('gcc', [...XEN_CFLAGS, '-E', '-P', '-x', 'c', '-'], { input: src, encoding: 'utf8' });
  return [...out.matchAll(/XENSIM_ERRNO (\w+)/g)].map((m) => `XEN_${m[1]}`);
}

/** Values of C integer expressions, evaluated by the compiled program. */
export function evaluate(exprs: readonly string[], extra: readonly string[] = []): number[] {
  if (exprs.length === 0) return [];
  const lines = exprs.map((e) => `  printf("%lld\\n", (long long)(${e}));`);
  const out = compileAndRun(`int main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`, extra).trim().split('\n');
  return out.map((s) => {
    const v = Number(s);
    if (!Number.isSafeInteger(v)) throw new Error(`value ${s} is not a safe integer`);
    return v;
  });
}

/** offsetof / sizeof of `<ctype>.<path>` for each entry. */
export function layoutOf(items: readonly { ctype: string; path: string }[], extra: readonly string[] = []): { offset: number; size: number }[] {
  const exprs: string[] = [];
  for (const { ctype, path: p } of items) {
    exprs.push(`offsetof(${ctype}, ${p})`, `sizeof(((${ctype} *)0)->${p})`);
  }
  const v = evaluate(exprs, extra);
  return items.map((_, i) => ({ offset: v[2 * i], size: v[2 * i + 1] }));
}
