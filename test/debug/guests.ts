// Small guests written for the debugger's tests, in a temporary folder with their configs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const PRELUDE = 'bits 32\norg 0x100000\n%include "xen.inc"\n';
const HYPERCALL_PAGE = '\nalign 4096\nhypercall_page:\n    times 4096 db 0\n';

/** Writes `<name>.asm` (body after the prelude) and `<name>.cfg`; returns the config's path. */
export function guest(name: string, body: string, extraCfg = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `xensim-${name}-`));
  fs.writeFileSync(path.join(dir, `${name}.asm`), PRELUDE + body + HYPERCALL_PAGE);
  fs.writeFileSync(path.join(dir, `${name}.cfg`), `name = "${name}"\ntype = "pv"\nkernel = "${name}.asm"\nmemory = 16\n${extraCfg}`);
  return path.join(dir, `${name}.cfg`);
}

/** Spins forever with event delivery masked: only pause stops it. */
export const SPIN = `_start:
    xor eax, eax
.loop:
    inc eax
    jmp .loop
`;

/** Executes ud2 in ring 1 with no trap table: #UD, and Xen crashes the domain. */
export const FAULT = `_start:
    mov eax, 0x1234
    ud2
`;

/** outer calls inner with the usual frames, then powers off: for stacks, next and stepOut. */
export const CALLS = `_start:
    mov esp, stack_top
    xor ebp, ebp
    call outer
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason
    HYPERCALL sched_op
outer:
    push ebp
    mov ebp, esp
    call inner
    add eax, 1
    pop ebp
    ret
inner:
    push ebp
    mov ebp, esp
    mov eax, 41
    pop ebp
    ret
reason:
    dd SHUTDOWN_poweroff
    times 256 dd 0
stack_top:
`;

/** Never-called functions in deadCodeGuest: 16 bytes (`align 16`) and 6 body lines each. */
export const DEAD_FUNCTIONS = 200;
const FN_BODY_LINES = 6;
/** deadCodeGuest's loop must fit below this offset from org (0x100000). */
const LOOP_BYTES = 0x40;

export interface DeadCodeGuest {
  cfg: string;
  asm: string;
  /** source line `k` (1…6) of the body of dead function `f<i>` */
  fnLine(i: number, k: number): number;
  /** address of dead function `f<i>` */
  fnAddress(i: number): number;
  /** source line of the loop's `n`th line (1-based) */
  loopLine(n: number): number;
}

/**
 * A loop (at most 64 bytes, from `_start`) and DEAD_FUNCTIONS never-called functions right
 * after it on the same page: where armed breakpoints that are never hit would cost most.
 */
export function deadCodeGuest(name: string, loop: string): DeadCodeGuest {
  const lines = loop.trimEnd().split('\n');
  const fns: string[] = [`times ${LOOP_BYTES} - ($ - $$) db 0xcc`];
  for (let i = 0; i < DEAD_FUNCTIONS; i++) {
    // push ebp (1) + mov ebp, esp (2) + mov eax, imm32 (5) + add eax, ebx (2) + pop ebp (1) + ret (1)
    fns.push(`f${i}:`, '    push ebp', '    mov ebp, esp', `    mov eax, ${i}`, '    add eax, ebx', '    pop ebp', '    ret', 'align 16');
  }
  const cfg = guest(name, `${lines.join('\n')}\n${fns.join('\n')}\n`);
  const prelude = PRELUDE.split('\n').length - 1;
  // f0's label: after the prelude, the loop and the `times` filler
  const f0 = prelude + lines.length + 2;
  return {
    cfg,
    asm: cfg.replace(/\.cfg$/, '.asm'),
    fnLine: (i, k) => f0 + i * (FN_BODY_LINES + 2) + k,
    fnAddress: (i) => 0x100000 + LOOP_BYTES + 16 * i,
    loopLine: (n) => prelude + n,
  };
}

/** `cli; jmp $` in an HVM guest booted PVH-style: ring 0, interrupts really masked. */
export const CLI_SPIN = 'bits 32\norg 0x100000\n_start:\n    cli\n    jmp $\n';

/** Writes `<name>.asm` (the whole source) and a PVH `<name>.cfg`; returns the config's path. */
export function pvhGuest(name: string, source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `xensim-${name}-`));
  fs.writeFileSync(path.join(dir, `${name}.asm`), source);
  fs.writeFileSync(path.join(dir, `${name}.cfg`), `name = "${name}"\ntype = "pvh"\nkernel = "${name}.asm"\nmemory = 16\n`);
  return path.join(dir, `${name}.cfg`);
}
