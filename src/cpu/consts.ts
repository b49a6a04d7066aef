/**
 * Architectural numbers shared by the CPU modules (a leaf module: it imports nothing, so any
 * module may take local copies of these at load time).
 */
export const ES = 0;
export const CS = 1;
export const SS = 2;
export const DS = 3;
export const FS = 4;
export const GS = 5;
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
export const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

export const CR0_PE = 0x1;
export const CR0_MP = 0x2;
export const CR0_EM = 0x4;
export const CR0_TS = 0x8;
export const CR0_ET = 0x10;
export const CR0_NE = 0x20;
export const CR0_WP = 0x10000;
export const CR0_AM = 0x40000;
export const CR0_NW = 0x20000000;
export const CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000 | 0;
export const CR4_PSE = 0x10;
export const CR4_PAE = 0x20;
export const CR4_PGE = 0x80;

/** Direct-mapped TLB size (entries); a power of two. */
export const TLB_SIZE = 1024;

/** Tag bit distinguishing user-mode (CPL 3) translations from supervisor ones. */
export const TLB_USER = 0x100000;

/**
 * Cpu.shadow after mov ss / pop ss: like sti's shadow (1) it holds off interrupts for one
 * instruction, and it also holds off #DB traps (single-step, data breakpoints: SDM vol. 3 §6.8.3).
 */
export const SHADOW_MOV_SS = 2;
