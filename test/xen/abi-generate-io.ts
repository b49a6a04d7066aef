// Writes the split-driver ABI (grant copy flags, shared rings, xenstore wire, xenbus states,
// blkif, netif) from Xen's real headers, as abi-generate.ts does for the core ABI:
//   node -r esbuild-register test/xen/abi-generate-io.ts
// Outputs src/xen/abi/generated-io.ts and guest/include/xenio.inc. Kept apart from
// generated.ts so the core tables and these never collide. abi-io-headers.test.ts checks it.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { XEN_CFLAGS, compileAndRun, evaluate, includeBlock, macroNames } from './abi-oracle';
import { BANNER, StructSpec, flatten, key, lit, ptypeAll } from './abi-generate';

const repoRoot = path.resolve(__dirname, '..', '..');

export const IO_HEADERS = ['xen/io/ring.h', 'xen/io/xs_wire.h', 'xen/io/console.h', 'xen/io/xenbus.h', 'xen/io/blkif.h', 'xen/io/netif.h', 'xen/io/protocols.h'];

interface IoFamily {
  name: string;
  prefix: string;
  header: string;
  flags?: boolean;
  /** members of a C enum (not macros): read from the preprocessed enum body */
  enumName?: string;
  exclude?: RegExp;
}

export const IO_FAMILIES: IoFamily[] = [
  { name: 'GNTCOPY', prefix: 'GNTCOPY_', header: 'grant_table.h', flags: true },
  { name: 'XS', prefix: 'XS_', header: 'io/xs_wire.h', enumName: 'xsd_sockmsg_type', exclude: /TYPE_COUNT/ },
  { name: 'XS_WATCH', prefix: 'XS_WATCH_', header: 'io/xs_wire.h', enumName: 'xs_watch_type' },
  { name: 'XenbusState', prefix: 'XenbusState', header: 'io/xenbus.h', enumName: 'xenbus_state' },
  { name: 'BLKIF_OP', prefix: 'BLKIF_OP_', header: 'io/blkif.h' },
  { name: 'BLKIF_RSP', prefix: 'BLKIF_RSP_', header: 'io/blkif.h' },
  { name: 'VDISK', prefix: 'VDISK_', header: 'io/blkif.h', flags: true },
  { name: 'NETTXF', prefix: 'NETTXF_', header: 'io/netif.h', flags: true },
  { name: 'NETRXF', prefix: 'NETRXF_', header: 'io/netif.h', flags: true },
  { name: 'NETIF_RSP', prefix: 'NETIF_RSP_', header: 'io/netif.h' },
];

/** Single macros (limits, ring sizes of the headers' own macros). */
const IO_CONSTANTS = [
  'XENSTORE_RING_SIZE', 'XENSTORE_PAYLOAD_MAX', 'XENSTORE_ABS_PATH_MAX', 'XENSTORE_REL_PATH_MAX',
  'XENSTORE_SERVER_FEATURE_RECONNECTION', 'XENSTORE_SERVER_FEATURE_ERROR', 'XENSTORE_CONNECTED', 'XENSTORE_RECONNECT',
  'XENSTORE_ERROR_NONE', 'XENSTORE_ERROR_COMM', 'XENSTORE_ERROR_RINGIDX', 'XENSTORE_ERROR_PROTO',
  'BLKIF_MAX_SEGMENTS_PER_REQUEST', 'XEN_NETIF_NR_SLOTS_MIN', 'XEN_NETIF_MAX_TX_SIZE',
];

/** Values the headers define through expressions rather than names: ring slots in one page. */
export const IO_DERIVED: Record<string, string> = {
  BLKIF_RING_SIZE: '__CONST_RING_SIZE(blkif, 4096)',
  NETIF_TX_RING_SIZE: '__CONST_RING_SIZE(netif_tx, 4096)',
  NETIF_RX_RING_SIZE: '__CONST_RING_SIZE(netif_rx, 4096)',
  blkif_sring_entry_size: 'sizeof(union blkif_sring_entry)',
  netif_tx_sring_entry_size: 'sizeof(union netif_tx_sring_entry)',
  netif_rx_sring_entry_size: 'sizeof(union netif_rx_sring_entry)',
  blkif_sring_ring: 'offsetof(struct blkif_sring, ring)',
};

const s = (name: string, opaque?: string[]): StructSpec => ({ name, ctype: `struct ${name}`, opaque });

export const IO_STRUCTS: StructSpec[] = [
  s('xencons_interface'), s('xenstore_domain_interface'), s('xsd_sockmsg'),
  s('blkif_sring', ['pvt']), s('blkif_request_segment'), s('blkif_request'), s('blkif_response'),
  s('netif_tx_sring', ['pvt']), s('netif_rx_sring', ['pvt']),
  s('netif_tx_request'), s('netif_tx_response'), s('netif_rx_request'), s('netif_rx_response'),
];

/** Enumerator names of `enum <name>` from the preprocessed headers. */
export function enumMembers(enumName: string): string[] {
  const pre = execFileSync('gcc', [...XEN_CFLAGS, '-E', '-P', '-x', 'c', '-'], { input: includeBlock(IO_HEADERS), encoding: 'utf8' });
  const m = new RegExp(`enum\\s+${enumName}\\s*\\{([^}]*)\\}`).exec(pre);
  if (!m) throw new Error(`enum ${enumName} not found`);
  return m[1]
    .split(',')
    .map((e) => e.trim().split(/\s|=/)[0])
    .filter((e) => /^\w+$/.test(e));
}

export function familyMembers(f: IoFamily, macros: string[]): string[] {
  const names = f.enumName ? enumMembers(f.enumName) : macros.filter((n) => n.startsWith(f.prefix));
  return names.filter((n) => n.startsWith(f.prefix) && !(f.exclude && f.exclude.test(n)));
}

/** xs_wire.h's xsd_errors[]: the strings xenstored sends in XS_ERROR replies, in table order. */
export function xsdErrors(): string[] {
  const body =
    'int main(void) {\n  for (unsigned i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) printf("%s\\n", xsd_errors[i].errstring);\n  return 0;\n}\n';
  // xs_wire.h declares the table only when <errno.h> came first.
  return compileAndRun(body, ['errno.h', ...IO_HEADERS]).trim().split('\n');
}

function main(): void {
  const macros = macroNames(IO_HEADERS);
  const members = IO_FAMILIES.map((f) => familyMembers(f, macros));
  const derived = Object.entries(IO_DERIVED);
  const exprs = [...members.flat(), ...IO_CONSTANTS, ...derived.map(([, e]) => e)];
  const values = evaluate(exprs, IO_HEADERS);
  const val = new Map<string, number>();
  exprs.forEach((e, i) => val.set(e, values[i]));

  const ts: string[] = [BANNER('test/xen/abi-generate-io.ts').replace('abi-headers.test.ts', 'abi-io-headers.test.ts'), "import { AbiFamily, AbiStruct } from './types';\n"];
  IO_FAMILIES.forEach((f, i) => {
    ts.push(`/** ${f.prefix}* (${f.header}) */`);
    ts.push(`export const ${f.name} = {`);
    for (const n of members[i].sort((a, b) => val.get(a)! - val.get(b)! || a.localeCompare(b))) ts.push(`  ${key(n.slice(f.prefix.length))}: ${lit(val.get(n)!)},`);
    ts.push('} as const;\n');
  });
  ts.push('/** Limits and ring geometry of the io/ headers (ring sizes for one 4 KiB page). */');
  ts.push('export const IO_CONST = {');
  for (const n of IO_CONSTANTS) ts.push(`  ${n}: ${lit(val.get(n)!)},`);
  for (const [n, e] of derived) ts.push(`  ${n}: ${lit(val.get(e)!)},`);
  ts.push('} as const;\n');
  ts.push('/** The C expression behind each derived IO_CONST entry (for the header test). */');
  ts.push('export const IO_CONST_EXPR: Readonly<Record<string, string>> = {');
  for (const n of IO_CONSTANTS) ts.push(`  ${n}: '${n}',`);
  for (const [n, e] of derived) ts.push(`  ${n}: '${e}',`);
  ts.push('};\n');
  ts.push("/** xsd_errors[] (io/xs_wire.h): the errno names an XS_ERROR reply may carry. */");
  ts.push(`export const XSD_ERRORS = [${xsdErrors().map((e) => `'${e}'`).join(', ')}] as const;\n`);
  ts.push('export const IO_FAMILIES = {');
  for (const f of IO_FAMILIES) ts.push(`  ${f.name}: { prefix: '${f.prefix}', header: '${f.header}', flags: ${!!f.flags}, values: ${f.name} },`);
  ts.push('} as const satisfies Record<string, AbiFamily>;\n');

  const trees = ptypeAll(IO_STRUCTS, IO_HEADERS);
  const inc: string[] = [];
  ts.push('/** Shared-ring and split-driver structure layouts (x86_32). */');
  ts.push('export const IO_LAYOUTS = {');
  for (const sp of IO_STRUCTS) {
    const tree = trees.get(sp.name);
    if (!tree) throw new Error(`gdb did not describe ${sp.ctype}`);
    ts.push(`  ${sp.name}: {`, `    ctype: '${sp.ctype}',`, `    size: ${tree.size},`, '    fields: {');
    inc.push(`; ${sp.ctype}`);
    for (const f of flatten(tree, sp.opaque ?? [])) {
      const count = f.count !== undefined ? `, count: ${f.count}` : '';
      ts.push(`      ${key(f.path)}: { offset: ${f.offset}, size: ${f.size}, type: '${f.type}'${count} },`);
      inc.push(`${sp.name}.${f.path} equ ${f.offset}`);
    }
    ts.push('    },', '  },');
    inc.push(`${sp.name}_size equ ${tree.size}`, '');
  }
  ts.push('} as const satisfies Record<string, AbiStruct>;');
  fs.writeFileSync(path.join(repoRoot, 'src/xen/abi/generated-io.ts'), ts.join('\n') + '\n');

  const nasm: string[] = [
    '; xenio.inc — split-driver ABI for guests: grant copy flags, xenstore wire, xenbus states,',
    '; console/xenstore/blkif/netif rings. GENERATED by test/xen/abi-generate-io.ts from Xen 4.17\'s',
    '; /usr/include/xen/io headers; do not edit. test/xen/abi-io-headers.test.ts checks it.',
    '%ifndef XENSIM_XENIO_INC',
    '%define XENSIM_XENIO_INC',
  ];
  IO_FAMILIES.forEach((f, i) => {
    nasm.push('', `; ${f.prefix}* (${f.header})`);
    for (const n of members[i]) nasm.push(`${n} equ ${lit(val.get(n)!)}`);
  });
  nasm.push('', '; constants');
  for (const n of IO_CONSTANTS) nasm.push(`${n} equ ${lit(val.get(n)!)}`);
  for (const [n, e] of derived) nasm.push(`${n} equ ${lit(val.get(e)!)}`);
  nasm.push('', '; structure offsets: <struct>.<member> and <struct>_size', '', ...inc, '%endif');
  fs.writeFileSync(path.join(repoRoot, 'guest/include/xenio.inc'), nasm.join('\n') + '\n');
  process.stdout.write(`wrote ${exprs.length} numbers and ${IO_STRUCTS.length} structures\n`);
}

if (require.main === module) main();
