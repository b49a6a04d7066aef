// What each hypercall takes, for decoding a call into `event_channel_op(EVTCHNOP_send, port=3)`.
// Argument names follow the prototypes documented in the headers (` HYPERVISOR_*(...) comments
// in xen.h, arch-x86/xen.h, event_channel.h, sched.h, vcpu.h, callback.h, grant_table.h) in
// their 32-bit form: a 64-bit value takes two registers, low half first (update_va_mapping,
// update_descriptor, set_timer_op), and set_callbacks takes selector/address pairs.
import { FamilyName } from './names';
import { HYPERCALL, LAYOUTS } from './generated';

export type HypercallName = keyof typeof HYPERCALL;
export type StructName = keyof typeof LAYOUTS;

export type ArgType =
  | { readonly kind: 'uint' }
  | { readonly kind: 'int' }
  | { readonly kind: 'hex' }
  /** A guest pointer; `struct` names what it points to (the first element, for arrays). */
  | { readonly kind: 'ptr'; readonly struct?: StructName }
  /** A guest pointer whose structure depends on the sub-op (see HypercallSpec.subopStructs). */
  | { readonly kind: 'subop-arg' }
  | { readonly kind: 'domid' }
  /** The sub-op selector of a multiplexed hypercall. */
  | { readonly kind: 'cmd'; readonly family: FamilyName }
  | { readonly kind: 'enum'; readonly family: FamilyName }
  | { readonly kind: 'flags'; readonly family: FamilyName }
  /** A 64-bit value in two registers (low, high). */
  | { readonly kind: 'u64' };

export interface HypercallArg {
  readonly name: string;
  readonly type: ArgType;
}

export interface HypercallSpec {
  readonly nr: number;
  readonly name: HypercallName;
  readonly args: readonly HypercallArg[];
  /** For multiplexed hypercalls: the structure each sub-op's pointer argument points to. */
  readonly subopStructs?: Readonly<Record<string, StructName>>;
  /** When the sub-op lives inside the argument structure (domctl's `cmd`). */
  readonly subopInStruct?: { readonly struct: StructName; readonly field: string; readonly family: FamilyName };
}

const uint = { kind: 'uint' } as const;
const int = { kind: 'int' } as const;
const hex = { kind: 'hex' } as const;
const ptr = { kind: 'ptr' } as const;
const u64 = { kind: 'u64' } as const;
const domid = { kind: 'domid' } as const;
const subArg: HypercallArg = { name: 'arg', type: { kind: 'subop-arg' } };
const a = (name: string, type: ArgType): HypercallArg => ({ name, type });
const cmd = (family: FamilyName): HypercallArg => a('cmd', { kind: 'cmd', family });
const p = (name: string, struct?: StructName): HypercallArg => a(name, struct ? { kind: 'ptr', struct } : ptr);

type Decl = Omit<HypercallSpec, 'nr' | 'name'>;

const DECLS: Partial<Record<HypercallName, Decl>> = {
  set_trap_table: { args: [p('traps', 'trap_info')] },
  mmu_update: { args: [p('reqs', 'mmu_update'), a('count', uint), p('done_out'), a('foreigndom', domid)] },
  set_gdt: { args: [p('frames'), a('entries', uint)] },
  stack_switch: { args: [a('ss', hex), a('esp', hex)] },
  set_callbacks: {
    args: [a('event_selector', hex), a('event_address', hex), a('failsafe_selector', hex), a('failsafe_address', hex)],
  },
  fpu_taskswitch: { args: [a('set', int)] },
  sched_op_compat: { args: [cmd('SCHEDOP'), a('arg', hex)] },
  platform_op: { args: [p('op')] },
  set_debugreg: { args: [a('regno', int), a('value', hex)] },
  get_debugreg: { args: [a('regno', int)] },
  update_descriptor: { args: [a('ma', u64), a('desc', u64)] },
  memory_op: {
    args: [cmd('XENMEM'), subArg],
    subopStructs: {
      increase_reservation: 'xen_memory_reservation',
      decrease_reservation: 'xen_memory_reservation',
      populate_physmap: 'xen_memory_reservation',
      add_to_physmap: 'xen_add_to_physmap',
      machphys_mapping: 'xen_machphys_mapping',
    },
  },
  multicall: { args: [p('call_list', 'multicall_entry'), a('nr_calls', uint)] },
  update_va_mapping: { args: [a('va', hex), a('val', u64), a('flags', { kind: 'flags', family: 'UVMF' })] },
  set_timer_op: { args: [a('timeout', u64)] },
  event_channel_op_compat: {
    args: [p('op', 'evtchn_op')],
    subopInStruct: { struct: 'evtchn_op', field: 'cmd', family: 'EVTCHNOP' },
  },
  xen_version: { args: [cmd('XENVER'), p('arg')] },
  console_io: { args: [cmd('CONSOLEIO'), a('count', uint), p('buffer')] },
  physdev_op_compat: { args: [p('op')] },
  grant_table_op: {
    args: [cmd('GNTTABOP'), subArg, a('count', uint)],
    subopStructs: {
      map_grant_ref: 'gnttab_map_grant_ref',
      unmap_grant_ref: 'gnttab_unmap_grant_ref',
      setup_table: 'gnttab_setup_table',
      copy: 'gnttab_copy',
      query_size: 'gnttab_query_size',
      set_version: 'gnttab_set_version',
      get_status_frames: 'gnttab_get_status_frames',
      get_version: 'gnttab_get_version',
      swap_grant_ref: 'gnttab_swap_grant_ref',
    },
  },
  vm_assist: { args: [a('cmd', { kind: 'cmd', family: 'VMASST_CMD' }), a('type', { kind: 'enum', family: 'VMASST_TYPE' })] },
  update_va_mapping_otherdomain: {
    args: [a('va', hex), a('val', u64), a('flags', { kind: 'flags', family: 'UVMF' }), a('domid', domid)],
  },
  iret: { args: [] },
  vcpu_op: {
    args: [cmd('VCPUOP'), a('vcpuid', uint), subArg],
    subopStructs: {
      initialise: 'vcpu_guest_context',
      get_runstate_info: 'vcpu_runstate_info',
      register_runstate_memory_area: 'vcpu_register_runstate_memory_area',
      set_periodic_timer: 'vcpu_set_periodic_timer',
      set_singleshot_timer: 'vcpu_set_singleshot_timer',
      register_vcpu_info: 'vcpu_register_vcpu_info',
    },
  },
  set_segment_base: { args: [a('which', uint), a('base', hex)] },
  mmuext_op: { args: [p('uops', 'mmuext_op'), a('count', uint), p('pdone'), a('foreigndom', domid)] },
  xsm_op: { args: [p('op')] },
  nmi_op: { args: [a('cmd', uint), p('arg')] },
  sched_op: {
    args: [cmd('SCHEDOP'), subArg],
    subopStructs: {
      shutdown: 'sched_shutdown',
      poll: 'sched_poll',
      remote_shutdown: 'sched_remote_shutdown',
      shutdown_code: 'sched_shutdown',
    },
  },
  callback_op: {
    args: [cmd('CALLBACKOP'), subArg],
    subopStructs: { register: 'callback_register', unregister: 'callback_unregister' },
  },
  xenoprof_op: { args: [a('op', uint), p('arg')] },
  event_channel_op: {
    args: [cmd('EVTCHNOP'), subArg],
    subopStructs: {
      bind_interdomain: 'evtchn_bind_interdomain',
      bind_virq: 'evtchn_bind_virq',
      bind_pirq: 'evtchn_bind_pirq',
      close: 'evtchn_close',
      send: 'evtchn_send',
      status: 'evtchn_status',
      alloc_unbound: 'evtchn_alloc_unbound',
      bind_ipi: 'evtchn_bind_ipi',
      bind_vcpu: 'evtchn_bind_vcpu',
      unmask: 'evtchn_unmask',
    },
  },
  physdev_op: { args: [a('cmd', uint), p('arg')] },
  hvm_op: {
    args: [cmd('HVMOP'), subArg],
    subopStructs: { set_param: 'xen_hvm_param', get_param: 'xen_hvm_param' },
  },
  sysctl: { args: [p('op')] },
  domctl: {
    args: [p('op', 'xen_domctl')],
    subopInStruct: { struct: 'xen_domctl', field: 'cmd', family: 'XEN_DOMCTL' },
  },
  kexec_op: { args: [a('op', uint), p('arg')] },
  tmem_op: { args: [p('op')] },
  argo_op: { args: [a('cmd', uint), p('arg1'), p('arg2'), a('arg3', hex), a('arg4', hex)] },
  xenpmu_op: { args: [a('op', uint), p('arg')] },
  dm_op: { args: [a('domid', domid), a('nr_bufs', uint), p('bufs')] },
  hypfs_op: { args: [a('cmd', uint), p('arg1'), a('arg2', hex), p('arg3'), a('arg4', hex)] },
};

function build(): ReadonlyMap<number, HypercallSpec> {
  const m = new Map<number, HypercallSpec>();
  for (const [name, nr] of Object.entries(HYPERCALL) as [HypercallName, number][]) {
    const d = DECLS[name] ?? { args: [] };
    m.set(nr, { nr, name, ...d });
  }
  return m;
}

/** Every hypercall Xen 4.17 numbers, by number (arch_N slots included, without arguments). */
export const HYPERCALLS: ReadonlyMap<number, HypercallSpec> = build();

/** How many registers (ebx, ecx, edx, esi, edi) a hypercall's arguments occupy. */
export function registerCount(spec: HypercallSpec): number {
  return spec.args.reduce((n, arg) => n + (arg.type.kind === 'u64' ? 2 : 1), 0);
}

const BY_NAME = new Map<string, HypercallSpec>([...HYPERCALLS.values()].map((s) => [s.name, s]));

/** `hypercallByName('event_channel_op')` (for breakpoints by name); undefined if unknown. */
export function hypercallByName(name: string): HypercallSpec | undefined {
  return BY_NAME.get(name);
}

/** The family naming a multiplexed hypercall's sub-ops (EVTCHNOP for event_channel_op). */
export function subopFamily(spec: HypercallSpec): FamilyName | undefined {
  if (spec.subopInStruct) return spec.subopInStruct.family;
  const cmd = spec.args.find((x) => x.type.kind === 'cmd');
  return cmd && cmd.type.kind === 'cmd' ? cmd.type.family : undefined;
}
