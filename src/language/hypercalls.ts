/**
 * Xen 4.17 hypercalls as a 32-bit guest issues them (index in eax; arguments in ebx, ecx,
 * edx, esi, edi; result in eax, a negative Xen errno on failure): hover and completion text.
 * Numbers are __HYPERVISOR_* of xen/include/public/xen.h (current ABI, not the compat
 * aliases); a test compares them with /usr/include/xen/xen.h.
 */

export interface HypercallInfo {
  readonly name: string;
  readonly number: number;
  /** C-style parameter list in register order (ebx, ecx, edx, esi, edi) */
  readonly args: readonly string[];
  readonly returns: string;
  readonly summary: string;
}

const OK = '0 or -errno';
const table: HypercallInfo[] = [];
function hc(number: number, name: string, args: string[], summary: string, returns = OK): void {
  table.push({ name, number, args, returns, summary });
}

hc(0, 'set_trap_table', ['const struct trap_info *traps'], 'Install the virtual IDT (zero-terminated trap_info array)');
hc(1, 'mmu_update', ['mmu_update_t *reqs', 'unsigned int count', 'unsigned int *done', 'domid_t foreigndom'], 'Batch of page-table (MMU_NORMAL_PT_UPDATE) and M2P (MMU_MACHPHYS_UPDATE) updates');
hc(2, 'set_gdt', ['xen_pfn_t *frames', 'unsigned int entries'], 'Install a GDT made of the given frames');
hc(3, 'stack_switch', ['unsigned long ss', 'unsigned long esp'], 'Set the ring-1 stack used on the next trap (TSS ss1/esp1)');
hc(4, 'set_callbacks', ['unsigned long event_selector', 'unsigned long event_address', 'unsigned long failsafe_selector', 'unsigned long failsafe_address'], 'Register the event upcall and failsafe callbacks');
hc(5, 'fpu_taskswitch', ['int set'], 'Set (1) or clear (0) CR0.TS for the vCPU');
hc(6, 'sched_op_compat', ['int cmd', 'unsigned long arg'], 'Old scheduler operation interface (use sched_op)');
hc(7, 'platform_op', ['struct xen_platform_op *op'], 'Platform management (dom0 only)');
hc(8, 'set_debugreg', ['int reg', 'unsigned long value'], 'Write a debug register of the vCPU');
hc(9, 'get_debugreg', ['int reg'], 'Read a debug register of the vCPU', 'the register value');
hc(10, 'update_descriptor', ['uint32_t ma_lo', 'uint32_t ma_hi', 'uint32_t desc_lo', 'uint32_t desc_hi'], 'Write one GDT/LDT descriptor at machine address ma');
hc(12, 'memory_op', ['unsigned int cmd', 'void *arg'], 'Memory reservation and P2M operations (XENMEM_*)', 'cmd-specific, or -errno');
hc(13, 'multicall', ['multicall_entry_t *calls', 'unsigned int nr'], 'Issue several hypercalls in one trap; each result lands in its entry');
hc(14, 'update_va_mapping', ['unsigned long va', 'uint32_t val_lo', 'uint32_t val_hi', 'unsigned long flags'], 'Write the PTE that maps va (flags: UVMF_* TLB flush)');
hc(15, 'set_timer_op', ['uint32_t timeout_lo', 'uint32_t timeout_hi'], 'Arm the one-shot timer at system time timeout (ns); 0 cancels');
hc(16, 'event_channel_op_compat', ['evtchn_op_t *op'], 'Old event channel interface (use event_channel_op)');
hc(17, 'xen_version', ['int cmd', 'void *arg'], 'Version and feature queries (XENVER_*)', 'XENVER_version: (major << 16) | minor');
hc(18, 'console_io', ['int cmd', 'unsigned int count', 'char *buffer'], 'Read or write the Xen console (CONSOLEIO_write, CONSOLEIO_read)', 'CONSOLEIO_read: bytes read; else 0 or -errno');
hc(19, 'physdev_op_compat', ['physdev_op_t *op'], 'Old physical device interface (use physdev_op)');
hc(20, 'grant_table_op', ['unsigned int cmd', 'void *uop', 'unsigned int count'], 'Grant table operations (GNTTABOP_*) on an array of count requests');
hc(21, 'vm_assist', ['unsigned int cmd', 'unsigned int type'], 'Enable or disable a VM assist (VMASST_TYPE_*)');
hc(22, 'update_va_mapping_otherdomain', ['unsigned long va', 'uint32_t val_lo', 'uint32_t val_hi', 'unsigned long flags', 'domid_t domid'], 'update_va_mapping with the frame owned by another domain');
hc(23, 'iret', [], 'Return from a guest exception/event frame (the frame is on the guest stack)', 'does not return');
hc(24, 'vcpu_op', ['int cmd', 'unsigned int vcpuid', 'void *extra_args'], 'vCPU operations (VCPUOP_*: up, down, timers, runstate)');
hc(25, 'set_segment_base', ['unsigned int which', 'unsigned long base'], 'x86-64 only: set FS/GS base');
hc(26, 'mmuext_op', ['struct mmuext_op *ops', 'unsigned int count', 'unsigned int *done', 'domid_t foreigndom'], 'Extended MMU operations: pin tables, new base pointer, TLB flushes (MMUEXT_*)');
hc(27, 'xsm_op', ['void *op'], 'Xen Security Modules operation');
hc(28, 'nmi_op', ['unsigned int cmd', 'void *arg'], 'NMI callback registration');
hc(29, 'sched_op', ['int cmd', 'void *arg'], 'Scheduler operations: yield, block, shutdown, poll (SCHEDOP_*)');
hc(30, 'callback_op', ['int cmd', 'void *arg'], 'Register or unregister a callback (CALLBACKOP_*, CALLBACKTYPE_*)');
hc(31, 'xenoprof_op', ['int op', 'void *arg'], 'Profiling interface');
hc(32, 'event_channel_op', ['int cmd', 'void *arg'], 'Event channel operations (EVTCHNOP_*: alloc_unbound, bind_interdomain, bind_virq, send, close, status, unmask)');
hc(33, 'physdev_op', ['int cmd', 'void *arg'], 'Physical device operations (PHYSDEVOP_*)');
hc(34, 'hvm_op', ['unsigned long op', 'void *arg'], 'HVM operations (HVMOP_*: parameters, etc.)');
hc(35, 'sysctl', ['struct xen_sysctl *op'], 'System control (toolstack in dom0)');
hc(36, 'domctl', ['struct xen_domctl *op'], 'Domain control (toolstack in dom0, XEN_DOMCTL_*)');
hc(37, 'kexec_op', ['unsigned long op', 'void *arg'], 'Kexec/kdump support');
hc(38, 'tmem_op', ['void *op'], 'Transcendent memory (removed; always -ENOSYS)');
hc(39, 'argo_op', ['unsigned int cmd', 'void *arg1', 'void *arg2', 'unsigned long arg3', 'unsigned long arg4'], 'Argo inter-domain communication');
hc(40, 'xenpmu_op', ['unsigned int op', 'void *arg'], 'Performance monitoring unit virtualisation');
hc(41, 'dm_op', ['domid_t domid', 'unsigned int nr_bufs', 'xen_dm_op_buf_t *bufs'], 'Device model operations on an HVM domain');
hc(42, 'hypfs_op', ['unsigned int cmd', 'const char *path', 'unsigned long path_len', 'void *buf', 'unsigned long buf_len'], 'Hypervisor file system');
hc(48, 'mca', ['struct xen_mc *op'], 'Machine-check architecture (x86 arch_0)');

/** Every hypercall, by number. */
export const HYPERCALLS: readonly HypercallInfo[] = table;

const byName = new Map(table.map((h) => [h.name, h]));

/** The hypercall of that name (`console_io`, also written `HYPERCALL_console_io` or `__HYPERVISOR_console_io`), or undefined. */
export function hypercall(name: string): HypercallInfo | undefined {
  return byName.get(name.replace(/^(?:__HYPERVISOR_|HYPERCALL_|HYPERVISOR_)/i, '').toLowerCase());
}

/** The registers that carry a 32-bit hypercall's arguments, in order. */
export const HYPERCALL_ARG_REGISTERS = ['ebx', 'ecx', 'edx', 'esi', 'edi'] as const;
