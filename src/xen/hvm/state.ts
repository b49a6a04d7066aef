/**
 * Per-domain HVM state Xen keeps beside the Domain: HVM params (hvm/params.h), the event
 * channel callback vector (HVM_PARAM_CALLBACK_IRQ, vector type), the device model serving the
 * domain's ioreqs, and exit counts by reason.
 */
import type { Domain } from '../domain';
import type { DeviceModel } from '../dm';
import type { IoreqServer } from './ioreq';

export interface HvmDomainState {
  /** HVM_PARAM_* values (64-bit, kept as bigint) */
  params: Map<number, bigint>;
  /** vector injected for event channel upcalls, 0 when none is set */
  callbackVector: number;
  dm: DeviceModel | null;
  /** the default ioreq server that forwards to `dm` */
  ioreq: IoreqServer | null;
  /** VM exits taken, by Xen's reason name */
  exits: Map<string, number>;
  /** the UART's characters not yet ended by a newline */
  serialLine: string;
  /** ioreqs sent to the device model */
  ioreqs: number;
}

const states = new WeakMap<Domain, HvmDomainState>();

export function hvmState(d: Domain): HvmDomainState {
  let s = states.get(d);
  if (!s) {
    s = { params: new Map(), callbackVector: 0, dm: null, ioreq: null, exits: new Map(), ioreqs: 0, serialLine: '' };
    states.set(d, s);
  }
  return s;
}

/** Exit counts of a domain (empty for PV domains), for summaries and tests. */
export function exitCounts(d: Domain): Record<string, number> {
  return Object.fromEntries(states.get(d)?.exits ?? []);
}

/**
 * The VGA text screen the device model keeps for an HVM domain (rows, trailing blank ones
 * dropped), or null when the guest never wrote the text window (or has no device model).
 */
export function vgaScreen(d: Domain): string[] | null {
  const dm = states.get(d)?.dm;
  return dm && dm.vga.written ? dm.vga.screen() : null;
}
