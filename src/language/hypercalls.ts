/**
 * Hover and completion text for Xen 4.17 hypercalls as a 32-bit guest issues them (index in
 * eax; arguments in ebx, ecx, edx, esi, edi; result in eax, a negative Xen errno on
 * failure). Numbers and arguments are the hypervisor layer's (src/xen/abi); this module adds
 * what a person reading a guest wants: a one-line summary and what comes back.
 */
import { ArgType, HYPERCALLS as SPECS, HypercallName } from '../xen/abi';

export interface HypercallInfo {
  readonly name: string;
  readonly number: number;
  /** one entry per register, in order (ebx, ecx, edx, esi, edi): a 64-bit value takes two */
  readonly args: readonly string[];
  /** per register: the constant family (EVTCHNOP, SCHEDOP …) the argument takes, if any */
  readonly families: readonly (string | undefined)[];
  readonly returns: string;
  readonly summary: string;
}

const OK = '0 or -errno';
type Text = { summary: string; returns?: string };

const TEXT: Partial<Record<HypercallName, Text>> = {
  set_trap_table: { summary: 'Install the virtual IDT (zero-terminated trap_info array)' },
  mmu_update: { summary: 'Batch of page-table (MMU_NORMAL_PT_UPDATE) and M2P (MMU_MACHPHYS_UPDATE) updates' },
  set_gdt: { summary: 'Install a GDT made of the given frames' },
  stack_switch: { summary: 'Set the ring-1 stack used on the next trap (TSS ss1/esp1)' },
  set_callbacks: { summary: 'Register the event upcall and failsafe callbacks' },
  fpu_taskswitch: { summary: 'Set (1) or clear (0) CR0.TS for the vCPU' },
  sched_op_compat: { summary: 'Old scheduler operation interface (use sched_op)' },
  platform_op: { summary: 'Platform management (dom0 only)' },
  set_debugreg: { summary: 'Write a debug register of the vCPU' },
  get_debugreg: { summary: 'Read a debug register of the vCPU', returns: 'the register value' },
  update_descriptor: { summary: 'Write one GDT/LDT descriptor at machine address ma' },
  memory_op: { summary: 'Memory reservation and P2M operations (XENMEM_*)', returns: 'cmd-specific, or -errno' },
  multicall: { summary: 'Issue several hypercalls in one trap; each result lands in its entry' },
  update_va_mapping: { summary: 'Write the PTE that maps va (flags: UVMF_* TLB flush)' },
  set_timer_op: { summary: 'Arm the one-shot timer at system time timeout (ns); 0 cancels' },
  event_channel_op_compat: { summary: 'Old event channel interface (use event_channel_op)' },
  xen_version: { summary: 'Version and feature queries (XENVER_*)', returns: 'XENVER_version: (major << 16) | minor' },
  console_io: { summary: 'Read or write the Xen console (CONSOLEIO_write, CONSOLEIO_read)', returns: 'CONSOLEIO_read: bytes read; else 0 or -errno' },
  physdev_op_compat: { summary: 'Old physical device interface (use physdev_op)' },
  grant_table_op: { summary: 'Grant table operations (GNTTABOP_*) on an array of count requests' },
  vm_assist: { summary: 'Enable or disable a VM assist (VMASST_TYPE_*)' },
  update_va_mapping_otherdomain: { summary: 'update_va_mapping with the frame owned by another domain' },
  iret: { summary: 'Return from a guest exception/event frame (the frame is on the guest stack)', returns: 'does not return' },
  vcpu_op: { summary: 'vCPU operations (VCPUOP_*: up, down, timers, runstate)' },
  set_segment_base: { summary: 'x86-64 only: set FS/GS base' },
  mmuext_op: { summary: 'Extended MMU operations: pin tables, new base pointer, TLB flushes (MMUEXT_*)' },
  xsm_op: { summary: 'Xen Security Modules operation' },
  nmi_op: { summary: 'NMI callback registration' },
  sched_op: { summary: 'Scheduler operations: yield, block, shutdown, poll (SCHEDOP_*)' },
  callback_op: { summary: 'Register or unregister a callback (CALLBACKOP_*, CALLBACKTYPE_*)' },
  xenoprof_op: { summary: 'Profiling interface' },
  event_channel_op: { summary: 'Event channel operations (EVTCHNOP_*: alloc_unbound, bind_interdomain, bind_virq, send, close, status, unmask)' },
  physdev_op: { summary: 'Physical device operations (PHYSDEVOP_*)' },
  hvm_op: { summary: 'HVM operations (HVMOP_*: parameters, etc.)' },
  sysctl: { summary: 'System control (toolstack in dom0)' },
  domctl: { summary: 'Domain control (toolstack in dom0, XEN_DOMCTL_*)' },
  kexec_op: { summary: 'Kexec/kdump support' },
  tmem_op: { summary: 'Transcendent memory (removed; always -ENOSYS)' },
  argo_op: { summary: 'Argo inter-domain communication' },
  xenpmu_op: { summary: 'Performance monitoring unit virtualisation' },
  dm_op: { summary: 'Device model operations on an HVM domain' },
  hypfs_op: { summary: 'Hypervisor file system' },
};

function describe(name: string, type: ArgType): string[] {
  switch (type.kind) {
    case 'u64':
      return [`${name} (low 32 bits)`, `${name} (high 32 bits)`];
    case 'cmd':
      return [`${name}: ${type.family}_*`];
    case 'enum':
    case 'flags':
      return [`${name}: ${type.family}_*`];
    case 'ptr':
      return [`${type.struct ? `struct ${type.struct}` : 'void'} *${name}`];
    case 'subop-arg':
      return [`void *${name} (depends on cmd)`];
    case 'domid':
      return [`domid_t ${name}`];
    case 'int':
      return [`int ${name}`];
    default:
      return [`unsigned long ${name}`];
  }
}

const table: HypercallInfo[] = [];
for (const spec of SPECS.values()) {
  const text = TEXT[spec.name];
  if (!text) continue; // the arch_N slots: no public meaning on x86-32
  table.push({
    name: spec.name,
    number: spec.nr,
    args: spec.args.flatMap((a) => describe(a.name, a.type)),
    families: spec.args.flatMap((a) => {
      const t = a.type;
      if (t.kind === 'u64') return [undefined, undefined];
      return [t.kind === 'cmd' || t.kind === 'enum' || t.kind === 'flags' ? t.family : t.kind === 'domid' ? 'DOMID' : undefined];
    }),
    returns: text.returns ?? OK,
    summary: text.summary,
  });
}

/** Every hypercall with a meaning for a 32-bit guest, by number. */
export const HYPERCALLS: readonly HypercallInfo[] = table;

const byName = new Map(table.map((h) => [h.name, h]));

/** The hypercall of that name (`console_io`, also written `__HYPERVISOR_console_io`), or undefined. */
export function hypercall(name: string): HypercallInfo | undefined {
  return byName.get(name.replace(/^__HYPERVISOR_/, ''));
}

/** The registers that carry a 32-bit hypercall's arguments, in order. */
export const HYPERCALL_ARG_REGISTERS = ['ebx', 'ecx', 'edx', 'esi', 'edi'] as const;

/** xen.inc's macros whose first argument is a hypercall name (`HYPERCALL2 sched_op, ...`). */
export const HYPERCALL_MACROS: ReadonlySet<string> = new Set([
  'HYPERCALL',
  'HYPERCALL_INT82',
  ...[1, 2, 3, 4, 5].flatMap((n) => [`HYPERCALL${n}`, `INT82_${n}`]),
]);
