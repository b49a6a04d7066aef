// Writes the ABI tables from Xen's real headers, so nothing is typed from memory:
//   node -r esbuild-register test/xen/abi-generate.ts
// Outputs src/xen/abi/generated.ts, src/loader/xen-elfnote.ts and the generated block of
// guest/include/xen.inc. Needs libxen-dev, gcc (32-bit) and gdb (for structure members);
// the simulator itself never needs them. abi-headers.test.ts checks the result.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { XEN_CFLAGS, errnoNames, evaluate, includeBlock, macroNames } from './abi-oracle';

const repoRoot = path.resolve(__dirname, '..', '..');

interface FamilySpec {
  name: string;
  prefix: string;
  header: string;
  flags?: boolean;
  include?: RegExp;
  exclude?: RegExp;
}

const FAMILIES: FamilySpec[] = [
  { name: 'HYPERCALL', prefix: '__HYPERVISOR_', header: 'xen.h', include: /^__HYPERVISOR_[a-z]/ },
  { name: 'EVTCHNOP', prefix: 'EVTCHNOP_', header: 'event_channel.h' },
  { name: 'EVTCHNSTAT', prefix: 'EVTCHNSTAT_', header: 'event_channel.h' },
  { name: 'SCHEDOP', prefix: 'SCHEDOP_', header: 'sched.h' },
  { name: 'SHUTDOWN', prefix: 'SHUTDOWN_', header: 'sched.h', exclude: /_MAX$/ },
  { name: 'VCPUOP', prefix: 'VCPUOP_', header: 'vcpu.h' },
  { name: 'RUNSTATE', prefix: 'RUNSTATE_', header: 'vcpu.h' },
  { name: 'VCPU_SSHOTTMR', prefix: 'VCPU_SSHOTTMR_', header: 'vcpu.h', flags: true },
  { name: 'XENMEM', prefix: 'XENMEM_', header: 'memory.h', include: /^XENMEM_[a-z]/, exclude: /^XENMEM_resource_/ },
  { name: 'XENMAPSPACE', prefix: 'XENMAPSPACE_', header: 'memory.h' },
  { name: 'XENVER', prefix: 'XENVER_', header: 'version.h' },
  { name: 'XENFEAT', prefix: 'XENFEAT_', header: 'features.h', exclude: /NR_SUBMAPS/ },
  { name: 'MMUEXT', prefix: 'MMUEXT_', header: 'xen.h' },
  { name: 'MMU', prefix: 'MMU_', header: 'xen.h' },
  { name: 'CALLBACKTYPE', prefix: 'CALLBACKTYPE_', header: 'callback.h' },
  { name: 'CALLBACKOP', prefix: 'CALLBACKOP_', header: 'callback.h' },
  { name: 'CALLBACKF', prefix: 'CALLBACKF_', header: 'callback.h', flags: true },
  { name: 'UVMF', prefix: 'UVMF_', header: 'xen.h', flags: true },
  { name: 'CONSOLEIO', prefix: 'CONSOLEIO_', header: 'xen.h' },
  { name: 'VIRQ', prefix: 'VIRQ_', header: 'xen.h' },
  { name: 'VMASST_CMD', prefix: 'VMASST_CMD_', header: 'xen.h' },
  { name: 'VMASST_TYPE', prefix: 'VMASST_TYPE_', header: 'xen.h' },
  { name: 'GNTTABOP', prefix: 'GNTTABOP_', header: 'grant_table.h', exclude: /error_msgs/ },
  { name: 'GTF', prefix: 'GTF_', header: 'grant_table.h', flags: true },
  { name: 'GNTST', prefix: 'GNTST_', header: 'grant_table.h' },
  { name: 'GNTMAP', prefix: 'GNTMAP_', header: 'grant_table.h', flags: true, exclude: /avail_mask/ },
  { name: 'HVMOP', prefix: 'HVMOP_', header: 'hvm/hvm_op.h', exclude: /^HVMOP_(altp2m_|ALTP2M)/ },
  { name: 'HVM_PARAM', prefix: 'HVM_PARAM_', header: 'hvm/params.h', exclude: /^HVM_PARAM_CALLBACK_(IRQ_TYPE|TYPE)/ },
  { name: 'XEN_DOMCTL', prefix: 'XEN_DOMCTL_', header: 'domctl.h', include: /^XEN_DOMCTL_[a-z]/ },
  { name: 'XEN_DOMCTL_CDF', prefix: 'XEN_DOMCTL_CDF_', header: 'domctl.h', flags: true, exclude: /_MAX$/ },
  { name: 'DOMID', prefix: 'DOMID_', header: 'xen.h', exclude: /_MASK$|FIRST_RESERVED/ },
  { name: 'SIF', prefix: 'SIF_', header: 'xen.h', flags: true, exclude: /_MASK$/ },
];

/** Single constants (guest-visible addresses, selectors, limits). */
const CONSTANTS = [
  'FLAT_RING1_CS', 'FLAT_RING1_DS', 'FLAT_RING1_SS', 'FLAT_RING3_CS', 'FLAT_RING3_DS', 'FLAT_RING3_SS',
  'FLAT_KERNEL_CS', 'FLAT_KERNEL_DS', 'FLAT_KERNEL_SS', 'FLAT_USER_CS', 'FLAT_USER_DS', 'FLAT_USER_SS',
  'HYPERVISOR_VIRT_START', 'HYPERVISOR_VIRT_START_PAE', 'MACH2PHYS_VIRT_START', 'MACH2PHYS_VIRT_END',
  'DOMID_FIRST_RESERVED', 'MAX_GUEST_CMDLINE', 'XEN_LEGACY_MAX_VCPUS', 'EVTCHN_2L_NR_CHANNELS', 'NR_VIRQS',
  'XEN_HVM_START_MAGIC_VALUE', 'XEN_DOMCTL_INTERFACE_VERSION', 'XEN_CPUID_FIRST_LEAF',
  'XEN_CPUID_SIGNATURE_EBX', 'XEN_CPUID_SIGNATURE_ECX', 'XEN_CPUID_SIGNATURE_EDX',
  'GNTTAB_NR_RESERVED_ENTRIES', 'GNTTAB_RESERVED_CONSOLE', 'GNTTAB_RESERVED_XENSTORE',
  'XEN_HVM_MEMMAP_TYPE_RAM', 'XEN_HVM_MEMMAP_TYPE_RESERVED', 'XENMAPIDX_grant_table_status',
];

export interface StructSpec {
  name: string;
  ctype: string;
  /** Members kept whole (not expanded), e.g. big unions of per-op arguments. */
  opaque?: string[];
}

const s = (name: string, opaque?: string[]): StructSpec => ({ name, ctype: `struct ${name}`, opaque });

const STRUCTS: StructSpec[] = [
  s('start_info'), s('shared_info'), s('vcpu_info'), s('arch_vcpu_info'), s('arch_shared_info'),
  s('vcpu_time_info'), s('cpu_user_regs'), s('trap_info'), s('vcpu_guest_context'),
  s('mmu_update'), s('mmuext_op'), s('multicall_entry'),
  s('evtchn_alloc_unbound'), s('evtchn_bind_interdomain'), s('evtchn_bind_virq'), s('evtchn_bind_pirq'),
  s('evtchn_bind_ipi'), s('evtchn_close'), s('evtchn_send'), s('evtchn_status'), s('evtchn_bind_vcpu'),
  s('evtchn_unmask'), s('evtchn_op', ['u']),
  s('sched_shutdown'), s('sched_poll'), s('sched_remote_shutdown'),
  s('vcpu_runstate_info'), s('vcpu_set_singleshot_timer'), s('vcpu_set_periodic_timer'),
  s('vcpu_register_vcpu_info'), s('vcpu_register_runstate_memory_area'),
  s('xen_memory_reservation'), s('xen_add_to_physmap'), s('xen_machphys_mapping'),
  s('callback_register'), s('callback_unregister'),
  s('xen_feature_info'), s('xen_platform_parameters'),
  s('grant_entry_v1'), s('grant_entry_header'), { name: 'grant_entry_v2', ctype: 'union grant_entry_v2' },
  s('gnttab_map_grant_ref'), s('gnttab_unmap_grant_ref'), s('gnttab_setup_table'), s('gnttab_query_size'),
  s('gnttab_copy'), s('gnttab_set_version'), s('gnttab_get_version'), s('gnttab_get_status_frames'), s('gnttab_swap_grant_ref'),
  s('xen_hvm_param'), s('hvm_start_info'), s('hvm_modlist_entry'), s('hvm_memmap_table_entry'),
  s('xen_domctl', ['u']), s('xen_domctl_createdomain'), s('xen_domctl_getdomaininfo'), s('xen_domctl_max_mem'),
  s('xen_domctl_max_vcpus'), s('xen_domctl_vcpucontext'), s('xen_domctl_vcpuaffinity'),
  s('xen_domctl_scheduler_op', ['u']), s('xen_domctl_getvcpuinfo'), s('xen_domctl_address_size'),
  s('xen_domctl_hypercall_init'),
];

// ---- structure members from gdb's `ptype /o` --------------------------------------------

export interface Node {
  name: string;
  type: string;
  offset: number;
  size: number;
  children?: Node[];
}

export function ptypeAll(specs: StructSpec[], extra: readonly string[] = []): Map<string, Node> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-gen-'));
  try {
    const src = path.join(dir, 'layout.c');
    const obj = path.join(dir, 'layout.o');
    const decls = specs.map((sp, i) => `${sp.ctype} xensim_v${i};`).join('\n');
    fs.writeFileSync(src, includeBlock(extra) + decls + '\n');
    execFileSync('gcc', [...XEN_CFLAGS, '-g', '-c', '-o', obj, src]);
    const args = ['-batch', ...specs.flatMap((sp) => ['-ex', `echo @@${sp.name}\\n`, '-ex', `ptype /o ${sp.ctype}`]), obj];
    const out = execFileSync('gdb', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const result = new Map<string, Node>();
    for (const chunk of out.split('@@').slice(1)) {
      const nl = chunk.indexOf('\n');
      result.set(chunk.slice(0, nl).trim(), parsePtype(chunk.slice(nl + 1)));
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parsePtype(text: string): Node {
  const lines = text.split('\n');
  const root: Node = { name: '', type: '', offset: 0, size: 0, children: [] };
  const stack: Node[] = [root];
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || /XXX/.test(line)) continue;
    const total = /total size \(bytes\):\s*(\d+)/.exec(line);
    if (total) {
      stack[stack.length - 1].size = Number(total[1]);
      continue;
    }
    const close = /^\s*}\s*(\w*)(\[\d+\])?;?$/.exec(line);
    if (close) {
      const done = stack.pop()!;
      done.name = close[1];
      if (close[2]) throw new Error(`array of anonymous aggregate ${close[1]}: not supported`);
      continue;
    }
    const m = /^\/\*\s*(?:(\d+)(?::\s*\d+)?\s*\|)?\s*(\d+)\s*\*\/\s*(.*)$/.exec(line);
    const top = /type = (struct|union) .*{$/.exec(line);
    if (top && stack.length === 1) {
      root.type = line.slice(line.indexOf('type = ') + 7, -2);
      continue;
    }
    if (!m) throw new Error(`unparsed gdb line: ${line}`);
    if (/:\s*\d+\s*\|/.test(line)) throw new Error(`bitfield not supported: ${line}`);
    const parent = stack[stack.length - 1];
    const offset = m[1] !== undefined ? Number(m[1]) : parent.offset;
    const size = Number(m[2]);
    const decl = m[3];
    if (decl.endsWith('{')) {
      const node: Node = { name: '', type: decl.slice(0, -1).trim(), offset, size, children: [] };
      parent.children!.push(node);
      stack.push(node);
      continue;
    }
    const d = /^(.*?)\s*\b(\w+)((?:\[\d+\])*);$/.exec(decl);
    if (!d) throw new Error(`unparsed member: ${decl}`);
    parent.children!.push({ name: d[2], type: d[1].replace(/\s*\*\s*$/, ' *') + d[3], offset, size });
  }
  return root;
}

interface Flat {
  path: string;
  offset: number;
  size: number;
  type: string;
  count?: number;
}

export function flatten(node: Node, opaque: string[], prefix = ''): Flat[] {
  const out: Flat[] = [];
  for (const c of node.children ?? []) {
    if (c.children && c.name === '') {
      // Anonymous union (cpu_user_regs' eax/ax/al views): its members belong to the parent.
      out.push(...flatten(c, opaque, prefix));
      continue;
    }
    const p = prefix ? `${prefix}.${c.name}` : c.name;
    if (c.children && !opaque.includes(p)) {
      out.push({ path: p, offset: c.offset, size: c.size, type: c.type });
      out.push(...flatten(c, opaque, p));
    } else {
      const arr = /\[(\d+)\]$/.exec(c.type);
      const f: Flat = { path: p, offset: c.offset, size: c.size, type: c.type };
      if (arr) f.count = Number(arr[1]);
      out.push(f);
    }
  }
  return out;
}

// ---- writing ----------------------------------------------------------------------------

export function lit(v: number): string {
  if (v < 0) return String(v);
  return v >= 0x100 ? `0x${v.toString(16)}` : String(v);
}

export function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`;
}

export const BANNER = (tool: string) =>
  `// GENERATED by ${tool} from Xen 4.17's public headers (/usr/include/xen,\n` +
  `// gcc ${XEN_CFLAGS.join(' ')}).\n// Do not edit: change the generator and rerun it.\n` +
  `// test/xen/abi-headers.test.ts checks every value below against the headers.\n`;

function main(): void {
  const all = macroNames();
  const familyMembers = FAMILIES.map((f) =>
    all.filter((n) => n.startsWith(f.prefix) && (!f.include || f.include.test(n)) && !(f.exclude && f.exclude.test(n))),
  );
  // A family must not swallow a longer family's members (VMASST_ vs VMASST_CMD_ is fine;
  // XEN_DOMCTL_ vs XEN_DOMCTL_CDF_ is kept apart by the lower-case rule).
  const errnos = errnoNames();
  const elfnotes = all.filter((n) => n.startsWith('XEN_ELFNOTE_') && n !== 'XEN_ELFNOTE_MAX');
  const allNames = [...familyMembers.flat(), ...errnos, ...CONSTANTS, ...elfnotes];
  const values = new Map<string, number>();
  evaluate(allNames).forEach((v, i) => values.set(allNames[i], v));

  const ts: string[] = [BANNER('test/xen/abi-generate.ts'), "import { AbiFamily, AbiStruct } from './types';\n"];
  FAMILIES.forEach((f, i) => {
    ts.push(`/** ${f.prefix}* (${f.header}) */`);
    ts.push(`export const ${f.name} = {`);
    for (const n of familyMembers[i].sort((a, b) => values.get(a)! - values.get(b)! || a.localeCompare(b))) {
      ts.push(`  ${key(n.slice(f.prefix.length))}: ${lit(values.get(n)!)},`);
    }
    ts.push('} as const;\n');
  });
  ts.push('/** XEN_E* (errno.h); hypercalls return them negated in eax. */');
  ts.push('export const XEN_ERRNO = {');
  for (const n of errnos) ts.push(`  ${n.slice(4)}: ${values.get(n)},`);
  ts.push('} as const;\n');
  ts.push('/** Single constants: selectors, guest-visible addresses, limits. */');
  ts.push('export const XEN_CONST = {');
  for (const n of CONSTANTS) ts.push(`  ${n}: ${lit(values.get(n)!)},`);
  ts.push('} as const;\n');
  ts.push('/** Every family by name, for decoding numbers back to Xen names. */');
  ts.push('export const FAMILIES = {');
  for (const f of FAMILIES) {
    ts.push(`  ${f.name}: { prefix: '${f.prefix}', header: '${f.header}', flags: ${!!f.flags}, values: ${f.name} },`);
  }
  ts.push(`  XEN_ERRNO: { prefix: 'XEN_', header: 'errno.h', flags: false, values: XEN_ERRNO },`);
  ts.push('} as const satisfies Record<string, AbiFamily>;\n');

  const trees = ptypeAll(STRUCTS);
  const inc: string[] = [];
  ts.push('/** Guest structure layouts (x86_32; PAE guests use the same). */');
  ts.push('export const LAYOUTS = {');
  for (const sp of STRUCTS) {
    const tree = trees.get(sp.name);
    if (!tree) throw new Error(`gdb did not describe ${sp.ctype}`);
    ts.push(`  ${sp.name}: {`);
    ts.push(`    ctype: '${sp.ctype}',`);
    ts.push(`    size: ${tree.size},`);
    ts.push('    fields: {');
    inc.push(`; ${sp.ctype}`);
    for (const f of flatten(tree, sp.opaque ?? [])) {
      const count = f.count !== undefined ? `, count: ${f.count}` : '';
      ts.push(`      ${key(f.path)}: { offset: ${f.offset}, size: ${f.size}, type: '${f.type}'${count} },`);
      inc.push(`${sp.name}.${f.path} equ ${f.offset}`);
    }
    ts.push('    },');
    ts.push('  },');
    inc.push(`${sp.name}_size equ ${tree.size}`, '');
  }
  ts.push('} as const satisfies Record<string, AbiStruct>;');
  fs.writeFileSync(path.join(repoRoot, 'src/xen/abi/generated.ts'), ts.join('\n') + '\n');

  const notes: string[] = [BANNER('test/xen/abi-generate.ts')];
  notes.push('/** XEN_ELFNOTE_* (elfnote.h): note types in the "Xen" namespace of a kernel image. */');
  notes.push('export const XEN_ELFNOTE = {');
  for (const n of elfnotes.sort((a, b) => values.get(a)! - values.get(b)!)) notes.push(`  ${n.slice(12)}: ${lit(values.get(n)!)},`);
  notes.push('} as const;');
  fs.writeFileSync(path.join(repoRoot, 'src/loader/xen-elfnote.ts'), notes.join('\n') + '\n');

  const nasm: string[] = ['; hypercall numbers (xen.h)'];
  FAMILIES.forEach((f, i) => {
    if (i > 0) nasm.push('', `; ${f.prefix}* (${f.header})`);
    for (const n of familyMembers[i]) nasm.push(`${n} equ ${lit(values.get(n)!)}`);
  });
  nasm.push('', '; XEN_E* (errno.h): hypercalls return them negated');
  for (const n of errnos) nasm.push(`${n} equ ${values.get(n)}`);
  nasm.push('', '; constants');
  for (const n of CONSTANTS) nasm.push(`${n} equ ${lit(values.get(n)!)}`);
  nasm.push('', '; structure offsets: <struct>.<member> and <struct>_size, as NASM struc names them', '', ...inc);
  const incPath = path.join(repoRoot, 'guest/include/xen.inc');
  const text = fs.readFileSync(incPath, 'utf8');
  const begin = '; ---- BEGIN GENERATED (test/xen/abi-generate.ts) ----\n';
  const end = '; ---- END GENERATED ----\n';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${incPath}: generated-block markers missing`);
  fs.writeFileSync(incPath, text.slice(0, a + begin.length) + nasm.join('\n') + '\n' + text.slice(b));
  process.stdout.write(`wrote ${allNames.length} numbers and ${STRUCTS.length} structures\n`);
}

// Run as a script; the io/ generator (abi-generate-io.ts) imports the gdb helpers only.
if (require.main === module) main();
