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
