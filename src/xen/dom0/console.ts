/**
 * The PV console back end (xenconsoled in spirit): drains a domain's xencons_interface `out`
 * ring (io/console.h; page console.domU.mfn of start_info) when the guest notifies its console
 * port, turning the bytes into the domain's console lines (trace source 'pv-ring'), and can
 * feed input into the `in` ring. The guest's indices are not trusted: a prod that claims more
 * than the ring holds takes at most one ring's worth and resynchronises cons to it.
 */
import type { Hypervisor } from '../hypervisor';
import type { Domain } from '../domain';
import { IO_LAYOUTS } from '../abi';
import { ByteRing, RingError } from './xenstore/ring';
import { onDomainGone } from './xenstore/service';
import { notifyFrontEnd, ringServiceOf, startRingService, stopRingService } from './backends';

const F = IO_LAYOUTS.xencons_interface.fields;

export function consoleRings(page: () => Uint8Array): { out: ByteRing; in: ByteRing } {
  return {
    out: new ByteRing(page, { data: F.out.offset, size: F.out.size, cons: F.out_cons.offset, prod: F.out_prod.offset }),
    in: new ByteRing(page, { data: F.in.offset, size: F.in.size, cons: F.in_cons.offset, prod: F.in_prod.offset }),
  };
}

/** Everything the guest has written to its out ring, consumed. */
export function drainConsole(out: ByteRing): string {
  try {
    out.available();
  } catch (e) {
    if (!(e instanceof RingError)) throw e;
    out.resync();
  }
  return Buffer.from(out.read(out.layout.size)).toString('latin1');
}

/** Whether the out ring has bytes for the back end (impossible indices count: draining resyncs them). */
function outPending(out: ByteRing): boolean {
  try {
    return out.available() > 0;
  } catch (e) {
    if (!(e instanceof RingError)) throw e;
    return true;
  }
}

/**
 * xenconsoled for `d`: served as dom0 when dom0 runs (backends.ts; one drain of the out ring is
 * one request), else in the guest's send. What the guest wrote and kicked before it went is
 * still shown: dom0 drains the ring once more when the domain is torn down, before its memory
 * is freed.
 */
export function attachConsole(hv: Hypervisor, d: Domain, mfn: number, port: number): void {
  const rings = consoleRings(() => hv.machine.writable(mfn));
  const drain = (): number => {
    const text = drainConsole(rings.out);
    if (text) hv.ringWrite(d, text);
    return text ? 1 : 0;
  };
  startRingService(hv, d, { kind: 'console', fePort: port }, { hasWork: () => d.alive && outPending(rings.out), serve: () => (d.alive ? drain() : 0) });
  onDomainGone(hv, d.id, () => {
    // dom0 may not have run since the guest's last kick (the direct path drained in the kick)
    if (ringServiceOf(hv, 'console', d.id)) drain();
    stopRingService(hv, 'console', d.id, port);
  });
}

/** Type `text` into a domain's console (what xenconsoled does with the user's keystrokes). */
export function consoleInput(hv: Hypervisor, d: Domain, text: string): number {
  if (!d.consolePort || !d.alive) return 0;
  const rings = consoleRings(() => hv.machine.writable(d.consoleMfn));
  let n = 0;
  try {
    n = rings.in.write(Buffer.from(text, 'latin1'));
  } catch (e) {
    if (!(e instanceof RingError)) throw e;
    return 0;
  }
  if (n) notifyFrontEnd(hv, d, 'console', d.consolePort);
  return n;
}
