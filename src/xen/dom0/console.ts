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

export function attachConsole(hv: Hypervisor, d: Domain, mfn: number, port: number): void {
  const rings = consoleRings(() => hv.machine.writable(mfn));
  hv.portHooks.set(`${d.id}:${port}`, () => {
    if (!d.alive) return;
    const text = drainConsole(rings.out);
    if (text) hv.ringWrite(d, text);
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
  if (n) hv.events.setPending(d, d.consolePort);
  return n;
}
