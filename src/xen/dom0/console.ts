/**
 * The PV console back end (xenconsoled in spirit): drains a domain's xencons_interface `out`
 * ring when the guest notifies its console port, turning the bytes into console lines.
 */
import type { Hypervisor } from '../hypervisor';
import type { Domain } from '../domain';
import { PAGE_SIZE } from '../machine';

/** struct xencons_interface (io/console.h) */
const OUT = 1024;
const OUT_SIZE = 2048;
const OUT_CONS = 3080;
const OUT_PROD = 3084;

export function attachConsole(hv: Hypervisor, d: Domain, mfn: number, port: number): void {
  hv.portHooks.set(`${d.id}:${port}`, () => {
    if (!d.alive) return;
    const f = hv.machine.writable(mfn);
    const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
    let cons = dv.getUint32(OUT_CONS, true);
    const prod = dv.getUint32(OUT_PROD, true);
    let text = '';
    // a guest may lie about prod; never take more than the ring holds
    for (let n = 0; cons !== prod && n < OUT_SIZE; n++, cons = (cons + 1) >>> 0) text += String.fromCharCode(f[OUT + (cons % OUT_SIZE)]);
    dv.setUint32(OUT_CONS, cons, true);
    if (text) hv.ringWrite(d, text);
  });
}
