// Snapshot/restore of the whole machine (filled in by the snapshot step).
import type { Hypervisor } from './hypervisor';
import type { Toolstack } from './dom0/toolstack';
import type { MachineSnapshot } from './inspect';

export function takeSnapshot(hv: Hypervisor, ts: Toolstack): MachineSnapshot {
  void ts;
  throw new Error(`snapshot is not implemented yet (t=${hv.roundStart})`);
}

export function restoreSnapshot(hv: Hypervisor, ts: Toolstack, s: MachineSnapshot): void {
  void hv;
  void ts;
  void s;
  throw new Error('restore is not implemented yet');
}
