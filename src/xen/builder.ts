/**
 * The PV domain builder for a 32-bit PAE guest, laid out as libxenguest's xc_dom does: the
 * kernel at its virtual addresses, then the P2M list, start_info, xenstore and console pages,
 * the initial page tables (L3, L2s, L1s: machine frame numbers, page-table pages mapped
 * read-only), and a boot stack; everything from the virtual base to past the boot stack is
 * mapped. Xen validates and pins the L3 and starts vCPU0 in ring 1 with esi = start_info.
 */
import { Hypervisor } from './hypervisor';
import { Domain } from './domain';
import { P2m } from './p2m';
import { Kernel, KernelError } from './kernel';
import { PAGE_SIZE } from './machine';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US, XenError } from './mm';
import { START_INFO_MAGIC, SIF, buildHypercallPage, writeField, writeCString } from './abi';

const MiB = 1 << 20;

export interface BuildResult {
  startInfo: number;
  l3mfn: number;
  entry: number;
  esp: number;
  /** virtual addresses of what the builder placed */
  layout: Record<string, number>;
}

export function buildPvDomain(hv: Hypervisor, d: Domain, k: Kernel, nrPages: number, cmdline: string, extra: { storeEvtchn?: number; consoleEvtchn?: number } = {}): BuildResult {
  const vb = k.virtBase >>> 0;
  const lo = Math.min(...k.segments.map((s) => s.vaddr));
  const hi = Math.max(...k.segments.map((s) => s.vaddr + s.memsz));
  if (lo < vb) throw new KernelError(`${k.file}: segment at 0x${lo.toString(16)} is below the virtual base 0x${vb.toString(16)}`);
  if (hi - vb > nrPages * PAGE_SIZE) throw new KernelError(`${k.file}: kernel needs ${Math.ceil((hi - vb) / MiB)} MiB, the domain has ${(nrPages * PAGE_SIZE) / MiB} MiB`);
  if (hi > 0xf5800000) throw new KernelError(`${k.file}: kernel reaches into Xen's area (0xF5800000)`);

  // pseudo-physical memory: every pfn backed by a machine frame
  d.p2m = new P2m();
  for (let pfn = 0; pfn < nrPages; pfn++) {
    const mfn = hv.mm.alloc(d.id);
    d.p2m.set(pfn, mfn);
    hv.mm.setM2p(mfn, pfn);
  }
  const toPfn = (va: number) => Math.floor((va - vb) / PAGE_SIZE);
  const write = (va: number, data: Uint8Array) => {
    for (let k2 = 0; k2 < data.length; ) {
      const a = va + k2;
      const f = hv.machine.writable(d.p2m.get(toPfn(a)));
      const o = a & 0xfff;
      const n = Math.min(PAGE_SIZE - o, data.length - k2);
      f.set(data.subarray(k2, k2 + n), o);
      k2 += n;
    }
  };
  for (const s of k.segments) {
    write(s.vaddr, s.data);
    if (s.memsz > s.data.length) write(s.vaddr + s.data.length, new Uint8Array(s.memsz - s.data.length));
  }

  // xc_dom_alloc_segment order after the kernel
  let next = Math.ceil(hi / PAGE_SIZE) * PAGE_SIZE;
  const alloc = (pages: number) => {
    const va = next;
    next += pages * PAGE_SIZE;
    return va;
  };
  const p2mPages = Math.ceil((nrPages * 4) / PAGE_SIZE);
  const p2mVa = alloc(p2mPages);
  const startInfoVa = alloc(1);
  const storeVa = alloc(1);
  const consoleVa = alloc(1);
  // page tables: enough L1s to map [vb, end of the boot stack + 512 KiB), rounded to 4 MiB
  let l1s = 0;
  let l2s = 0;
  let mapEnd = 0;
  for (let iter = 0; iter < 8; iter++) {
    const end = next + (1 + l2s + l1s + 1) * PAGE_SIZE + 512 * 1024;
    mapEnd = Math.min(Math.ceil(end / (4 * MiB)) * 4 * MiB, vb + nrPages * PAGE_SIZE);
    const wantL1 = Math.ceil((mapEnd - vb) / (2 * MiB));
    const slots = new Set<number>([3]);
    for (let va = vb; va < mapEnd; va += 2 * MiB) slots.add(va >>> 30);
    if (wantL1 === l1s && slots.size === l2s) break;
    l1s = wantL1;
    l2s = slots.size;
  }
  if (mapEnd > 0xf5800000) throw new KernelError(`${k.file}: the initial mapping would reach Xen's area`);
  const ptVa = alloc(1 + l2s + l1s);
  const stackVa = alloc(1);
  if (next - vb > nrPages * PAGE_SIZE) throw new KernelError(`${k.file}: the domain's memory is too small for the kernel and boot structures`);
  const mfnOf = (va: number) => d.p2m.get(toPfn(va));

  // P2M list
  const p2m = new Uint8Array(p2mPages * PAGE_SIZE);
  const pv = new DataView(p2m.buffer);
  for (let pfn = 0; pfn < nrPages; pfn++) pv.setUint32(pfn * 4, d.p2m.get(pfn), true);
  write(p2mVa, p2m);

  // page tables: L3 first, then L2s by slot, then L1s
  const l3Va = ptVa;
  const slotsUsed = [...new Set<number>([...Array.from({ length: Math.ceil((mapEnd - vb) / (2 * MiB)) }, (_, i) => (vb + i * 2 * MiB) >>> 30), 3])].sort((a, b) => a - b);
  const l2Va = new Map<number, number>();
  slotsUsed.forEach((slot, i) => l2Va.set(slot, ptVa + (1 + i) * PAGE_SIZE));
  const l1Base = ptVa + (1 + slotsUsed.length) * PAGE_SIZE;
  const ptEnd = l1Base + l1s * PAGE_SIZE;
  const isPt = (va: number) => va >= ptVa && va < ptEnd;
  const l3 = new Uint8Array(PAGE_SIZE);
  const l3v = new DataView(l3.buffer);
  for (const [slot, va] of l2Va) l3v.setUint32(slot * 8, (mfnOf(va) * PAGE_SIZE + PTE_P) >>> 0, true);
  write(l3Va, l3);
  const l2Pages = new Map<number, Uint8Array>();
  for (const slot of l2Va.keys()) l2Pages.set(slot, new Uint8Array(PAGE_SIZE));
  for (let i = 0; i < l1s; i++) {
    const base = vb + i * 2 * MiB;
    const l1va = l1Base + i * PAGE_SIZE;
    const l2 = l2Pages.get(base >>> 30)!;
    new DataView(l2.buffer).setUint32(((base >>> 21) & 0x1ff) * 8, (mfnOf(l1va) * PAGE_SIZE + (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)) >>> 0, true);
    const l1 = new Uint8Array(PAGE_SIZE);
    const l1v = new DataView(l1.buffer);
    for (let e = 0; e < 512; e++) {
      const va = base + e * PAGE_SIZE;
      if (va >= mapEnd) break;
      const flags = PTE_P | PTE_US | PTE_A | (isPt(va) ? 0 : PTE_RW | PTE_D);
      l1v.setUint32(e * 8, (mfnOf(va) * PAGE_SIZE + flags) >>> 0, true);
    }
    write(l1va, l1);
  }
  for (const [slot, page] of l2Pages) write(l2Va.get(slot)!, page);

  // Xen validates the tables, pins the L3 and loads it into vCPU0's CR3.
  const l3mfn = mfnOf(l3Va);
  try {
    hv.mm.getPageAndType(l3mfn, 'l3', d.id);
    hv.mm.info[l3mfn].pinned = true;
    hv.mm.getPageAndType(l3mfn, 'l3', d.id);
  } catch (e) {
    if (e instanceof XenError) throw new Error(`internal: builder page tables did not validate: ${e.message}`);
    throw e;
  }

  // hypercall page
  if (k.hypercallPage !== undefined) {
    const hp = k.hypercallPage >>> 0;
    if (hp < vb || hp >= hi || hp & 0xfff) throw new KernelError(`${k.file}: hypercall page 0x${hp.toString(16)} is not a page of the kernel`);
    write(hp, buildHypercallPage('pv32'));
  }

  // start_info
  const si = new Uint8Array(PAGE_SIZE);
  writeCString(si, 0, 'start_info', 'magic', START_INFO_MAGIC);
  writeField(si, 0, 'start_info', 'nr_pages', nrPages);
  writeField(si, 0, 'start_info', 'shared_info', d.sharedInfoMfn * PAGE_SIZE);
  writeField(si, 0, 'start_info', 'flags', d.privileged ? SIF.PRIVILEGED | SIF.INITDOMAIN : 0);
  writeField(si, 0, 'start_info', 'store_mfn', extra.storeEvtchn !== undefined ? mfnOf(storeVa) : 0);
  writeField(si, 0, 'start_info', 'store_evtchn', extra.storeEvtchn ?? 0);
  writeField(si, 0, 'start_info', 'console.domU.mfn', extra.consoleEvtchn !== undefined ? mfnOf(consoleVa) : 0);
  writeField(si, 0, 'start_info', 'console.domU.evtchn', extra.consoleEvtchn ?? 0);
  writeField(si, 0, 'start_info', 'pt_base', l3Va);
  writeField(si, 0, 'start_info', 'nr_pt_frames', 1 + slotsUsed.length + l1s);
  writeField(si, 0, 'start_info', 'mfn_list', p2mVa);
  writeCString(si, 0, 'start_info', 'cmd_line', cmdline);
  writeField(si, 0, 'start_info', 'first_p2m_pfn', toPfn(p2mVa));
  writeField(si, 0, 'start_info', 'nr_p2m_frames', p2mPages);
  write(startInfoVa, si);
  d.startInfoGva = startInfoVa;
  if (extra.consoleEvtchn !== undefined) {
    d.consoleMfn = mfnOf(consoleVa);
    d.consolePort = extra.consoleEvtchn;
  }
  if (extra.storeEvtchn !== undefined) {
    d.storeMfn = mfnOf(storeVa);
    d.storePort = extra.storeEvtchn;
  }
  d.image = k.image;

  const v0 = d.vcpus[0];
  v0.baseMfn = l3mfn;
  const esp = stackVa + PAGE_SIZE;
  hv.initVcpuContext(v0, { eip: k.entry, esp, esi: startInfoVa, l3mfn });
  return {
    startInfo: startInfoVa,
    l3mfn,
    entry: k.entry,
    esp,
    layout: { p2m: p2mVa, start_info: startInfoVa, xenstore: storeVa, console: consoleVa, page_tables: ptVa, boot_stack: stackVa, map_end: mapEnd },
  };
}
