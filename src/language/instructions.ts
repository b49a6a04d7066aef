/**
 * The IA-32 integer and system instructions a guest author writes, each with a one-line
 * summary and the arithmetic flags it leaves behind: the hover text and completion list of
 * the language server. Flag effects follow the Intel SDM vol. 2 "Flags Affected" sections.
 */

export interface InstructionInfo {
  /** lower-case NASM mnemonic */
  readonly mnemonic: string;
  readonly summary: string;
  /** flags the instruction defines (set or cleared from the result), space separated */
  readonly flags: string;
  /** flags left undefined */
  readonly undefinedFlags: string;
  readonly group: 'data' | 'arith' | 'logic' | 'shift' | 'bit' | 'control' | 'string' | 'flag' | 'system' | 'prefix';
}

type Group = InstructionInfo['group'];
const ARITH = 'OF SF ZF AF PF CF';

const table: InstructionInfo[] = [];
function def(group: Group, names: string, summary: string, flags = '', undefinedFlags = ''): void {
  for (const mnemonic of names.split(' ')) table.push({ mnemonic, summary, flags, undefinedFlags, group });
}

/** Condition-code suffixes (jcc, setcc, cmovcc) and what they test. */
export const CONDITIONS: ReadonlyArray<readonly [string, string]> = [
  ['o', 'overflow (OF=1)'], ['no', 'not overflow (OF=0)'],
  ['b', 'below, unsigned (CF=1)'], ['c', 'carry (CF=1)'], ['nae', 'not above or equal, unsigned (CF=1)'],
  ['ae', 'above or equal, unsigned (CF=0)'], ['nb', 'not below, unsigned (CF=0)'], ['nc', 'not carry (CF=0)'],
  ['e', 'equal (ZF=1)'], ['z', 'zero (ZF=1)'], ['ne', 'not equal (ZF=0)'], ['nz', 'not zero (ZF=0)'],
  ['be', 'below or equal, unsigned (CF=1 or ZF=1)'], ['na', 'not above, unsigned (CF=1 or ZF=1)'],
  ['a', 'above, unsigned (CF=0 and ZF=0)'], ['nbe', 'not below or equal, unsigned (CF=0 and ZF=0)'],
  ['s', 'sign (SF=1)'], ['ns', 'not sign (SF=0)'],
  ['p', 'parity (PF=1)'], ['pe', 'parity even (PF=1)'], ['np', 'not parity (PF=0)'], ['po', 'parity odd (PF=0)'],
  ['l', 'less, signed (SF≠OF)'], ['nge', 'not greater or equal, signed (SF≠OF)'],
  ['ge', 'greater or equal, signed (SF=OF)'], ['nl', 'not less, signed (SF=OF)'],
  ['le', 'less or equal, signed (ZF=1 or SF≠OF)'], ['ng', 'not greater, signed (ZF=1 or SF≠OF)'],
  ['g', 'greater, signed (ZF=0 and SF=OF)'], ['nle', 'not less or equal, signed (ZF=0 and SF=OF)'],
];

// data transfer
def('data', 'mov', 'Copy the source to the destination (also to/from segment, control and debug registers)');
def('data', 'movsx', 'Move with sign extension');
def('data', 'movzx', 'Move with zero extension');
def('data', 'xchg', 'Exchange the operands (locked implicitly when one is memory)');
def('data', 'cmpxchg', 'Compare the accumulator with the destination: if equal store the source there, else load the destination into the accumulator', ARITH);
def('data', 'cmpxchg8b', 'Compare EDX:EAX with m64: if equal store ECX:EBX there, else load m64 into EDX:EAX', 'ZF');
def('data', 'xadd', 'Exchange, then store the sum in the destination', ARITH);
def('data', 'bswap', 'Reverse the byte order of a 32-bit register');
def('data', 'push', 'Decrement ESP and store the operand on the stack');
def('data', 'pop', 'Load the operand from the stack and increment ESP');
def('data', 'pusha pushad', 'Push all general registers (EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI)');
def('data', 'popa popad', 'Pop all general registers (the saved ESP is discarded)');
def('data', 'pushf pushfd', 'Push EFLAGS (VM and RF are stored cleared)');
def('data', 'popf popfd', 'Pop EFLAGS; IOPL changes only at CPL 0 and IF only when CPL ≤ IOPL', 'all permitted by privilege');
def('data', 'lea', 'Load the effective address of the memory operand into a register');
def('data', 'lds les lfs lgs lss', 'Load a far pointer: offset into the register, selector into the segment register');
def('data', 'cbw', 'Sign-extend AL into AX');
def('data', 'cwde', 'Sign-extend AX into EAX');
def('data', 'cwd', 'Sign-extend AX into DX:AX');
def('data', 'cdq', 'Sign-extend EAX into EDX:EAX');
def('data', 'xlat xlatb', 'Table look-up: AL ← [EBX + AL]');
def('data', 'lahf', 'Load AH from SF ZF AF PF CF');
def('data', 'sahf', 'Store AH into SF ZF AF PF CF', 'SF ZF AF PF CF');
def('data', 'in', 'Read from an I/O port (DX or imm8) into AL/AX/EAX; #GP when CPL > IOPL and the TSS bitmap denies it');
def('data', 'out', 'Write AL/AX/EAX to an I/O port (DX or imm8); #GP when CPL > IOPL and the TSS bitmap denies it');
for (const [cc, what] of CONDITIONS) def('data', `cmov${cc}`, `Move if ${what}`);

// arithmetic
def('arith', 'add', 'Add the source to the destination', ARITH);
def('arith', 'adc', 'Add with carry: destination ← destination + source + CF', ARITH);
def('arith', 'sub', 'Subtract the source from the destination', ARITH);
def('arith', 'sbb', 'Subtract with borrow: destination ← destination − (source + CF)', ARITH);
def('arith', 'cmp', 'Compare: subtract without storing, setting the flags', ARITH);
def('arith', 'neg', "Two's-complement negation (CF=0 only when the operand was 0)", ARITH);
def('arith', 'inc', 'Increment by one (CF unchanged)', 'OF SF ZF AF PF');
def('arith', 'dec', 'Decrement by one (CF unchanged)', 'OF SF ZF AF PF');
def('arith', 'mul', 'Unsigned multiply into AX, DX:AX or EDX:EAX', 'OF CF', 'SF ZF AF PF');
def('arith', 'imul', 'Signed multiply (one, two or three operands)', 'OF CF', 'SF ZF AF PF');
def('arith', 'div', 'Unsigned divide of AX, DX:AX or EDX:EAX; #DE on zero or overflow', '', ARITH);
def('arith', 'idiv', 'Signed divide of AX, DX:AX or EDX:EAX; #DE on zero or overflow', '', ARITH);
def('arith', 'daa', 'Decimal adjust AL after addition', 'SF ZF AF PF CF', 'OF');
def('arith', 'das', 'Decimal adjust AL after subtraction', 'SF ZF AF PF CF', 'OF');
def('arith', 'aaa', 'ASCII adjust after addition', 'AF CF', 'OF SF ZF PF');
def('arith', 'aas', 'ASCII adjust after subtraction', 'AF CF', 'OF SF ZF PF');
def('arith', 'aam', 'ASCII adjust AX after multiply', 'SF ZF PF', 'OF AF CF');
def('arith', 'aad', 'ASCII adjust AX before division', 'SF ZF PF', 'OF AF CF');

// logic
const LOGIC = 'OF SF ZF PF CF';
def('logic', 'and', 'Bitwise AND (OF and CF cleared)', LOGIC, 'AF');
def('logic', 'or', 'Bitwise OR (OF and CF cleared)', LOGIC, 'AF');
def('logic', 'xor', 'Bitwise exclusive OR (OF and CF cleared)', LOGIC, 'AF');
def('logic', 'test', 'Bitwise AND without storing, setting the flags (OF and CF cleared)', LOGIC, 'AF');
def('logic', 'not', "One's-complement negation");

// shifts and rotates: OF is defined only for 1-bit counts
def('shift', 'shl sal', 'Shift left; CF gets the last bit shifted out (OF defined for count 1)', 'CF OF SF ZF PF', 'AF');
def('shift', 'shr', 'Logical shift right; CF gets the last bit shifted out (OF defined for count 1)', 'CF OF SF ZF PF', 'AF');
def('shift', 'sar', 'Arithmetic shift right (sign-filling); CF gets the last bit out (OF defined for count 1)', 'CF OF SF ZF PF', 'AF');
def('shift', 'shld', 'Double-precision shift left, filling from the source register', 'CF SF ZF PF OF', 'AF');
def('shift', 'shrd', 'Double-precision shift right, filling from the source register', 'CF SF ZF PF OF', 'AF');
def('shift', 'rol', 'Rotate left (OF defined for count 1)', 'CF OF');
def('shift', 'ror', 'Rotate right (OF defined for count 1)', 'CF OF');
def('shift', 'rcl', 'Rotate left through CF (OF defined for count 1)', 'CF OF');
def('shift', 'rcr', 'Rotate right through CF (OF defined for count 1)', 'CF OF');

// bit operations
def('bit', 'bt', 'Bit test: CF ← the selected bit', 'CF', 'OF SF AF PF');
def('bit', 'bts', 'Bit test and set', 'CF', 'OF SF AF PF');
def('bit', 'btr', 'Bit test and reset', 'CF', 'OF SF AF PF');
def('bit', 'btc', 'Bit test and complement', 'CF', 'OF SF AF PF');
def('bit', 'bsf', 'Bit scan forward: index of the lowest set bit (ZF=1 and destination undefined when the source is 0)', 'ZF', 'OF SF AF PF CF');
def('bit', 'bsr', 'Bit scan reverse: index of the highest set bit (ZF=1 and destination undefined when the source is 0)', 'ZF', 'OF SF AF PF CF');
for (const [cc, what] of CONDITIONS) def('bit', `set${cc}`, `Set the byte to 1 if ${what}, else 0`);

// control transfer
def('control', 'jmp', 'Jump (short, near, or far through a selector, call gate or TSS)');
for (const [cc, what] of CONDITIONS) def('control', `j${cc}`, `Jump if ${what}`);
def('control', 'jcxz', 'Jump if CX is 0');
def('control', 'jecxz', 'Jump if ECX is 0');
def('control', 'loop', 'Decrement ECX; jump if it is not 0 (flags unchanged)');
def('control', 'loope loopz', 'Decrement ECX; jump if it is not 0 and ZF=1');
def('control', 'loopne loopnz', 'Decrement ECX; jump if it is not 0 and ZF=0');
def('control', 'call', 'Push the return address and jump (near, or far through a selector or call gate)');
def('control', 'ret retn', 'Near return: pop EIP (and release imm16 bytes of arguments)');
def('control', 'retf', 'Far return: pop EIP and CS, switching to the outer stack on a privilege change');
def('control', 'iret iretd', 'Return from interrupt: pop EIP, CS and EFLAGS (and ESP, SS on a privilege change); a Xen PV guest uses HYPERVISOR_iret instead', 'all');
def('control', 'int', 'Software interrupt through the IDT (int 0x82 is the 32-bit PV hypercall)', 'IF TF NT RF VM');
def('control', 'int3', 'Breakpoint trap (#BP, vector 3)', 'IF TF NT RF VM');
def('control', 'int1 icebp', 'Debug trap (#DB, vector 1)', 'IF TF NT RF VM');
def('control', 'into', 'Overflow trap (#OF, vector 4) if OF=1', 'IF TF NT RF VM');
def('control', 'bound', 'Check an index against bounds in memory; #BR if outside');
def('control', 'enter', 'Make a stack frame for a procedure (imm16 locals, imm8 nesting)');
def('control', 'leave', 'Release a stack frame: ESP ← EBP, pop EBP');

// strings
for (const [base, what, flags] of [
  ['movs', 'Copy [ESI] to [EDI], advancing both by DF', ''],
  ['cmps', 'Compare [ESI] with [EDI], advancing both by DF', ARITH],
  ['scas', 'Compare the accumulator with [EDI], advancing EDI by DF', ARITH],
  ['lods', 'Load [ESI] into the accumulator, advancing ESI by DF', ''],
  ['stos', 'Store the accumulator at [EDI], advancing EDI by DF', ''],
  ['ins', 'Read I/O port DX into [EDI], advancing EDI by DF', ''],
  ['outs', 'Write [ESI] to I/O port DX, advancing ESI by DF', ''],
] as const) {
  def('string', `${base}b`, `${what} (byte)`, flags);
  def('string', `${base}w`, `${what} (word)`, flags);
  def('string', `${base}d`, `${what} (dword)`, flags);
}

// flags
def('flag', 'stc', 'Set CF', 'CF');
def('flag', 'clc', 'Clear CF', 'CF');
def('flag', 'cmc', 'Complement CF', 'CF');
def('flag', 'std', 'Set DF (string instructions go down)', 'DF');
def('flag', 'cld', 'Clear DF (string instructions go up)', 'DF');
def('flag', 'sti', 'Set IF (interrupts enabled after the next instruction); #GP when CPL > IOPL', 'IF');
def('flag', 'cli', 'Clear IF; #GP when CPL > IOPL (a PV guest masks events in vcpu_info instead)', 'IF');

// miscellaneous and system
def('system', 'nop', 'No operation');
def('system', 'pause', 'Spin-loop hint');
def('system', 'ud2', 'Raise #UD (invalid opcode) on purpose');
def('system', 'cpuid', 'Processor identification into EAX, EBX, ECX, EDX for leaf EAX (Xen leaves from 0x40000000)');
def('system', 'rdtsc', 'Read the time-stamp counter into EDX:EAX');
def('system', 'rdpmc', 'Read the performance counter ECX into EDX:EAX');
def('system', 'rdmsr', 'Read the model-specific register ECX into EDX:EAX (CPL 0)');
def('system', 'wrmsr', 'Write EDX:EAX to the model-specific register ECX (CPL 0)');
def('system', 'hlt', 'Halt until the next interrupt (CPL 0; a PV guest blocks with sched_op instead)');
def('system', 'wait fwait', 'Wait for pending x87 exceptions');
def('system', 'lfence mfence sfence', 'Load / full / store memory fence');
def('system', 'clflush', 'Flush the cache line holding the byte at the memory operand');
def('system', 'lgdt', 'Load GDTR from a 6-byte memory operand (CPL 0)');
def('system', 'sgdt', 'Store GDTR to a 6-byte memory operand');
def('system', 'lidt', 'Load IDTR from a 6-byte memory operand (CPL 0)');
def('system', 'sidt', 'Store IDTR to a 6-byte memory operand');
def('system', 'lldt', 'Load LDTR with a selector (CPL 0)');
def('system', 'sldt', 'Store the LDTR selector');
def('system', 'ltr', 'Load the task register with a TSS selector (CPL 0)');
def('system', 'str', 'Store the task register selector');
def('system', 'lmsw', 'Load the machine status word (CR0 bits 0–3) (CPL 0)');
def('system', 'smsw', 'Store the machine status word (CR0 bits 0–15)');
def('system', 'clts', 'Clear CR0.TS (CPL 0)');
def('system', 'arpl', 'Adjust the RPL of a selector up to the source RPL', 'ZF');
def('system', 'lar', 'Load access rights of a selector (ZF=1 when it is valid and visible)', 'ZF');
def('system', 'lsl', 'Load the segment limit of a selector (ZF=1 when it is valid and visible)', 'ZF');
def('system', 'verr', 'Verify a segment is readable (ZF=1 if so)', 'ZF');
def('system', 'verw', 'Verify a segment is writable (ZF=1 if so)', 'ZF');
def('system', 'invd', 'Invalidate caches without write-back (CPL 0)');
def('system', 'wbinvd', 'Write back and invalidate caches (CPL 0)');
def('system', 'invlpg', 'Invalidate the TLB entry for the page of the memory operand (CPL 0)');
def('system', 'rsm', 'Resume from system management mode', 'all');
def('system', 'sysenter', 'Fast system call to the CS:EIP:ESP held in the SYSENTER MSRs', 'IF RF VM');
def('system', 'sysexit', 'Fast return to ring 3 at EDX with ESP ← ECX');
def('system', 'vmcall', 'Call the VMM from a guest (VM exit EXIT_REASON_VMCALL; the HVM hypercall)');
def('system', 'vmlaunch', 'Launch the virtual machine of the current VMCS', 'CF ZF');
def('system', 'vmresume', 'Resume the virtual machine of the current VMCS', 'CF ZF');
def('system', 'vmxon', 'Enter VMX root operation', 'CF ZF');
def('system', 'vmxoff', 'Leave VMX operation', 'CF ZF');
def('system', 'vmptrld', 'Load the current-VMCS pointer', 'CF ZF');
def('system', 'vmptrst', 'Store the current-VMCS pointer', 'CF ZF');
def('system', 'vmclear', 'Clear a VMCS', 'CF ZF');
def('system', 'vmread', 'Read a VMCS field', 'CF ZF');
def('system', 'vmwrite', 'Write a VMCS field', 'CF ZF');

// prefixes written as words
def('prefix', 'lock', 'Prefix: make the read-modify-write of the memory operand atomic');
def('prefix', 'rep', 'Prefix: repeat the string instruction ECX times');
def('prefix', 'repe repz', 'Prefix: repeat while ECX ≠ 0 and ZF=1 (cmps, scas)');
def('prefix', 'repne repnz', 'Prefix: repeat while ECX ≠ 0 and ZF=0 (cmps, scas)');
def('prefix', 'o16 o32', 'Prefix: force a 16- or 32-bit operand size (0x66 when it differs from bits)');
def('prefix', 'a16 a32', 'Prefix: force a 16- or 32-bit address size (0x67 when it differs from bits)');

/** Every instruction, in table order (grouped by kind). */
export const INSTRUCTIONS: readonly InstructionInfo[] = table;

const byMnemonic = new Map(table.map((i) => [i.mnemonic, i]));

/** The instruction of that (case-insensitive) mnemonic, or undefined. */
export function instruction(mnemonic: string): InstructionInfo | undefined {
  return byMnemonic.get(mnemonic.toLowerCase());
}
