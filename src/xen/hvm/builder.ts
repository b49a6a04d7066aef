/**
 * The HVM domain builder without firmware (libxenguest's xc_dom for PVH, which modern Xen
 * also takes for type="hvm" with firmware_override and a PHYS32 entry): guest-physical RAM
 * from gfn 0 (the legacy VGA/ROM hole 0xA0000–0xFFFFF left unpopulated), the kernel at its
 * physical addresses, Xen's special pages (xenstore, console, ioreq) below 0xFF000000 with
 * their HVM params, an `hvm_start_info` (with a memory map and the command line) after the
 * kernel, and vCPU 0 in 32-bit flat protected mode, paging off, at the entry, ebx = its gpa.
 */
import { CS, DS, ES, FS, GS, SS } from '../../cpu/cpu';
import { setSegment } from '../../cpu/segments';
import type { Hypervisor } from '../hypervisor';
import type { Domain } from '../domain';
import { P2m } from '../p2m';
import { Kernel, KernelError } from '../kernel';
import { PAGE_SIZE } from '../machine';
import { HVM_PARAM, XEN_HVM_START_MAGIC_VALUE, writeField } from '../abi';
import { hvmState } from './state';

/** X86_HVM_END_SPECIAL_REGION and the special pages below it (xc_dom_x86.c's special_pfn). */
const END_SPECIAL = 0xff000;
const NR_SPECIAL = 8;
const SPECIAL = { BUFIOREQ: 3, XENSTORE: 4, IOREQ: 5, CONSOLE: 7 } as const;
export const specialPfn = (x: number) => END_SPECIAL - NR_SPECIAL + x;

/** The VGA/ROM hole: no RAM behind it (an access is an EPT violation). */
const HOLE_START = 0xa0;
const HOLE_END = 0x100;

/** hvm_memmap_table_entry types (E820) */
const E820_RAM = 1;
const E820_RESERVED = 2;

export interface HvmBuildResult {
  entry: number;
  startInfo: number;
}

export function buildHvmDomain(hv: Hypervisor, d: Domain, k: Kernel, nrPages: number, cmdline: string, extra: { storeEvtchn?: number; consoleEvtchn?: number } = {}): HvmBuildResult {
  const entry = k.notes?.phys32Entry ?? k.entry;
  const hi = Math.max(...k.segments.map((s) => s.vaddr + s.memsz));
  const lo = Math.min(...k.segments.map((s) => s.vaddr));
  if (lo < HOLE_END * PAGE_SIZE && hi > HOLE_START * PAGE_SIZE) throw new KernelError(`${k.file}: a segment overlaps the VGA/ROM hole 0xA0000-0xFFFFF`);
  if (hi + 2 * PAGE_SIZE > nrPages * PAGE_SIZE) throw new KernelError(`${k.file}: kernel needs ${Math.ceil(hi / (1 << 20))} MiB, the domain has ${(nrPages * PAGE_SIZE) >> 20} MiB`);

  d.p2m = new P2m();
  const populate = (gfn: number) => {
    const mfn = hv.mm.alloc(d.id);
    d.p2m.set(gfn, mfn);
    hv.mm.setM2p(mfn, gfn);
    return mfn;
  };
  for (let gfn = 0; gfn < nrPages; gfn++) if (gfn < HOLE_START || gfn >= HOLE_END) populate(gfn);
  const write = (gpa: number, data: Uint8Array) => {
    for (let i = 0; i < data.length; ) {
      const a = gpa + i;
      const o = a & 0xfff;
      const n = Math.min(PAGE_SIZE - o, data.length - i);
      hv.machine.writable(d.p2m.get(Math.floor(a / PAGE_SIZE))).set(data.subarray(i, i + n), o);
      i += n;
    }
  };
  for (const s of k.segments) {
    write(s.vaddr, s.data);
    if (s.memsz > s.data.length) write(s.vaddr + s.data.length, new Uint8Array(s.memsz - s.data.length));
  }

  // Xen's special pages and the params that name them
  const st = hvmState(d);
  const special = (x: number) => {
    const gfn = specialPfn(x);
    return { gfn, mfn: populate(gfn) };
  };
  const store = special(SPECIAL.XENSTORE);
  const cons = special(SPECIAL.CONSOLE);
  const ioreq = special(SPECIAL.IOREQ);
  const bufioreq = special(SPECIAL.BUFIOREQ);
  st.params.set(HVM_PARAM.IOREQ_PFN, BigInt(ioreq.gfn));
  st.params.set(HVM_PARAM.BUFIOREQ_PFN, BigInt(bufioreq.gfn));
  st.params.set(HVM_PARAM.PAE_ENABLED, 1n);
  if (extra.storeEvtchn !== undefined) {
    st.params.set(HVM_PARAM.STORE_PFN, BigInt(store.gfn));
    st.params.set(HVM_PARAM.STORE_EVTCHN, BigInt(extra.storeEvtchn));
    d.storeMfn = store.mfn;
    d.storePort = extra.storeEvtchn;
  }
  if (extra.consoleEvtchn !== undefined) {
    st.params.set(HVM_PARAM.CONSOLE_PFN, BigInt(cons.gfn));
    st.params.set(HVM_PARAM.CONSOLE_EVTCHN, BigInt(extra.consoleEvtchn));
    d.consoleMfn = cons.mfn;
    d.consolePort = extra.consoleEvtchn;
  }

  // hvm_start_info (version 1), its memory map and the command line, in the page after the kernel
  const si = Math.ceil(hi / PAGE_SIZE) * PAGE_SIZE;
  const page = new Uint8Array(PAGE_SIZE);
  const memmapAt = 64;
  const map: [number, number, number][] = [
    [0, HOLE_START * PAGE_SIZE, E820_RAM],
    [HOLE_START * PAGE_SIZE, (HOLE_END - HOLE_START) * PAGE_SIZE, E820_RESERVED],
    [HOLE_END * PAGE_SIZE, (nrPages - HOLE_END) * PAGE_SIZE, E820_RAM],
    [specialPfn(0) * PAGE_SIZE, NR_SPECIAL * PAGE_SIZE, E820_RESERVED],
  ];
  const dv = new DataView(page.buffer);
  map.forEach(([addr, size, type], i) => {
    const o = memmapAt + i * 24;
    dv.setBigUint64(o, BigInt(addr), true);
    dv.setBigUint64(o + 8, BigInt(size), true);
    dv.setUint32(o + 16, type, true);
  });
  const cmdAt = memmapAt + map.length * 24;
  const cmd = Buffer.from(cmdline.slice(0, PAGE_SIZE - cmdAt - 1), 'latin1');
  page.set(cmd, cmdAt);
  writeField(page, 0, 'hvm_start_info', 'magic', XEN_HVM_START_MAGIC_VALUE);
  writeField(page, 0, 'hvm_start_info', 'version', 1);
  writeField(page, 0, 'hvm_start_info', 'cmdline_paddr', cmdline ? si + cmdAt : 0);
  writeField(page, 0, 'hvm_start_info', 'memmap_paddr', si + memmapAt);
  writeField(page, 0, 'hvm_start_info', 'memmap_entries', map.length);
  write(si, page);
  d.image = k.image;

  // vCPU 0: the PVH entry state (docs/misc/pvh.pandoc; hvm/start_info.h)
  const cpu = hv.cpuOf(d.vcpus[0]);
  cpu.reset();
  cpu.cr0 = 0x11; // PE | ET
  cpu.cr4 = 0;
  cpu.cr3 = 0;
  cpu.cpl = 0;
  setSegment(cpu, CS, 0, 0, 0xffffffff, 0xc09b);
  for (const s of [DS, ES, FS, GS, SS]) setSegment(cpu, s, 0, 0, 0xffffffff, 0xc093);
  Object.assign(cpu.tr, { sel: 0, base: 0, limit: 0x67, attr: 0x8b });
  cpu.gdtrBase = 0;
  cpu.gdtrLimit = 0;
  cpu.idtrBase = 0;
  cpu.idtrLimit = 0;
  cpu.r.fill(0);
  cpu.r[3] = si | 0;
  cpu.eip = entry | 0;
  cpu.setEflags(0x2);
  cpu.modeChanged();
  cpu.flushTlb();
  return { entry, startInfo: si };
}
