/**
 * The xenbus half every back end in dom0 shares (blkback, netback): it watches the front end's
 * state and answers as Linux's xenbus back ends do. When the front end is Initialised (or
 * already Connected) the device-specific `attach` reads the front end's ring references and
 * port and connects; the back end then goes Connected, or writes `hotplug-error` with the
 * reason. When the front end is Closing the connection goes and the back end walks Closing →
 * Closed.
 */
import { XenbusState } from '../abi';
import type { Hypervisor } from '../hypervisor';
import { Connection, connectionsOf, disconnect } from './backends';
import { XsClient, readState, switchState, watchAsDom0 } from './xenstore';

/** Returns the unwatch function. */
export function watchFrontend(hv: Hypervisor, xs: XsClient, dev: { fe: string; be: string; key: string }, attach: () => Connection | string): () => void {
  const { fe, be, key } = dev;
  return watchAsDom0(hv, `${fe}/state`, () => {
    const st = readState(xs, fe);
    const connected = connectionsOf(hv).has(key);
    if ((st === XenbusState.Initialised || st === XenbusState.Connected) && !connected) {
      const c = attach();
      if (typeof c === 'string') {
        xs.write(`${be}/hotplug-error`, c);
        return;
      }
      switchState(xs, be, XenbusState.Connected);
    } else if (st === XenbusState.Closing && connected) {
      disconnect(hv, key);
      switchState(xs, be, XenbusState.Closing);
      switchState(xs, be, XenbusState.Closed);
    }
  });
}
