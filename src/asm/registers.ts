import { Register, RegClass, Size } from './operand';

function make(names: string[], cls: RegClass, size: Size): Register[] {
  return names.map((name, num) => ({ name, cls, size, num }));
}

/** Every register name NASM accepts in 32-bit code that this project encodes. */
export const REGISTERS: readonly Register[] = [
  ...make(['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'], 'gpr', 1),
  ...make(['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'], 'gpr', 2),
  ...make(['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'], 'gpr', 4),
  ...make(['es', 'cs', 'ss', 'ds', 'fs', 'gs'], 'seg', 2),
  ...make(['cr0', 'cr1', 'cr2', 'cr3', 'cr4', 'cr5', 'cr6', 'cr7'], 'cr', 4),
  ...make(['dr0', 'dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr6', 'dr7'], 'dr', 4),
];

const byName = new Map(REGISTERS.map((r) => [r.name, r]));

/** The register of that (case-insensitive) name, or undefined. */
export function register(name: string): Register | undefined {
  return byName.get(name.toLowerCase());
}
