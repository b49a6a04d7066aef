/**
 * HVM state in snapshots (a snapshot-services entry): per HVM domain its params, callback
 * vector, exit counts, the ioreq server (ports, requests in flight), the device model's
 * registers (UART, PICs, PIT, RTC, the VGA text window); per vCPU the VMCS-like state Xen keeps beside the CPU
 * (an exit not yet followed by its entry, the vector chosen for injection, the debug console's
 * partial line, an instruction abandoned for MMIO with the answers it has) and the registers of the devices Xen emulates itself (LAPIC, IO-APIC, HPET).
 * The P2M is a Domain field and the CPU state the CPU's own, both saved by snapshot.ts.
 * Xen's ioreq consumers and the device models' timers are closures over objects that are
 * restored in place, so they are kept by reference, like the back ends' port hooks.
 */
import type { Hypervisor } from '../hypervisor';
import { registerSnapshotService } from '../snapshot-services';
import type { DeviceModelState } from '../dm';
import type { IoreqServerState } from './ioreq';
import { hvmState } from './state';
import { hvmPlatformOf } from './index';
import type { MmioDone } from './vcpu';

interface SavedVcpu {
  exited: boolean;
  exitTime: number;
  injecting: number | null;
  debugLine: string;
  mmio: unknown[];
  /** an instruction abandoned for MMIO and the device model's answers so far */
  mmioRip: number;
  mmioDone: MmioDone[];
}

interface SavedHvmDomain {
  domid: number;
  params: [number, bigint][];
  callbackVector: number;
  exits: [string, number][];
  ioreqs: number;
  serialLine: string;
  dm: DeviceModelState | null;
  server: IoreqServerState | null;
  vcpus: SavedVcpu[];
}

interface SavedHvm {
  domains: SavedHvmDomain[];
  xenConsumers: Map<string, () => void>;
  timerSources: Hypervisor['timerSources'];
}

function save(hv: Hypervisor): SavedHvm {
  const domains: SavedHvmDomain[] = [];
  for (const d of hv.domains.values()) {
    if (d.kind !== 'hvm') continue;
    const st = hvmState(d);
    domains.push({
      domid: d.id,
      params: [...st.params],
      callbackVector: st.callbackVector,
      exits: [...st.exits],
      ioreqs: st.ioreqs,
      serialLine: st.serialLine,
      dm: st.dm ? st.dm.save() : null,
      server: st.ioreq ? structuredClone(st.ioreq.state) : null,
      vcpus: d.vcpus.map((v) => {
        const p = hvmPlatformOf(v);
        return { exited: p.exited, exitTime: p.exitTime, injecting: p.injecting, debugLine: p.debugLine, mmio: p.mmio.map((m) => structuredClone(m.save())), mmioRip: p.mmioRip, mmioDone: structuredClone(p.mmioDone) };
      }),
    });
  }
  return { domains, xenConsumers: new Map(hv.xenConsumers), timerSources: [...hv.timerSources] };
}

function restore(hv: Hypervisor, state: unknown): void {
  const s = state as SavedHvm | undefined;
  hv.xenConsumers.clear();
  if (!s) return;
  for (const [k, f] of s.xenConsumers) hv.xenConsumers.set(k, f);
  hv.timerSources.splice(0, hv.timerSources.length, ...s.timerSources);
  for (const sd of s.domains) {
    const d = hv.domains.get(sd.domid);
    if (!d) continue;
    const st = hvmState(d);
    st.params = new Map(sd.params);
    st.callbackVector = sd.callbackVector;
    st.exits = new Map(sd.exits);
    st.ioreqs = sd.ioreqs;
    st.serialLine = sd.serialLine;
    if (st.dm && sd.dm) st.dm.restore(sd.dm);
    if (st.ioreq && sd.server) st.ioreq.state = structuredClone(sd.server);
    sd.vcpus.forEach((sv, i) => {
      const v = d.vcpus[i];
      if (!v) return;
      const p = hvmPlatformOf(v);
      p.exited = sv.exited;
      p.exitTime = sv.exitTime;
      p.injecting = sv.injecting;
      p.debugLine = sv.debugLine;
      p.mmioRip = sv.mmioRip ?? -1;
      p.mmioDone = structuredClone(sv.mmioDone ?? []);
      p.cost = 0;
      p.hypercall = null;
      p.taken.length = 0;
      p.mmio.forEach((m, j) => m.restore(structuredClone(sv.mmio[j])));
    });
  }
}

registerSnapshotService({ name: 'hvm', save, restore });
