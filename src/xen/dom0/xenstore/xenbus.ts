/**
 * xenbus: how a front end (in the guest, /local/domain/<fe>/device/<type>/<id>) and a back end
 * (in dom0, /local/domain/<be>/backend/<type>/<fe>/<id>) find each other and negotiate through
 * their `state` nodes (XenbusState* of io/xenbus.h): Initialising → InitWait (back end ready for
 * the front end's rings) → Initialised (front end published ring-ref/event-channel) → Connected
 * → Closing → Closed.
 */
import { XenbusState } from '../../abi';
import type { XsClient } from './client';

export type XenbusStateName = keyof typeof XenbusState;

export function stateName(v: number): XenbusStateName | undefined {
  return (Object.keys(XenbusState) as XenbusStateName[]).find((k) => XenbusState[k] === v);
}

export function frontendPath(feDomid: number, type: string, devid: number): string {
  return `/local/domain/${feDomid}/device/${type}/${devid}`;
}

export function backendPath(beDomid: number, type: string, feDomid: number, devid: number): string {
  return `/local/domain/${beDomid}/backend/${type}/${feDomid}/${devid}`;
}

/** The transitions the drivers make (xenbus_switch_state callers in Linux's front and back ends). */
const ALLOWED: Record<number, number[]> = {
  [XenbusState.Unknown]: [XenbusState.Initialising, XenbusState.Closed],
  [XenbusState.Initialising]: [XenbusState.InitWait, XenbusState.Initialised, XenbusState.Connected, XenbusState.Closing, XenbusState.Closed],
  [XenbusState.InitWait]: [XenbusState.Initialised, XenbusState.Connected, XenbusState.Closing, XenbusState.Closed],
  [XenbusState.Initialised]: [XenbusState.Connected, XenbusState.Closing, XenbusState.Closed],
  [XenbusState.Connected]: [XenbusState.Closing, XenbusState.Closed, XenbusState.Reconfiguring],
  [XenbusState.Closing]: [XenbusState.Closed],
  [XenbusState.Closed]: [XenbusState.Initialising, XenbusState.InitWait],
  [XenbusState.Reconfiguring]: [XenbusState.Reconfigured, XenbusState.Closing, XenbusState.Closed],
  [XenbusState.Reconfigured]: [XenbusState.Connected, XenbusState.Closing, XenbusState.Closed],
};

export function canSwitch(from: number, to: number): boolean {
  return from === to || (ALLOWED[from] ?? []).includes(to);
}

/** Read a device end's state (Unknown when the node is missing or not a number). */
export function readState(xs: XsClient, devPath: string): number {
  const v = Number(xs.tryRead(`${devPath}/state`));
  return stateName(v) !== undefined ? v : XenbusState.Unknown;
}

/** xenbus_switch_state: write the new state if the transition is one the protocol has. */
export function switchState(xs: XsClient, devPath: string, to: number): void {
  const from = readState(xs, devPath);
  if (!canSwitch(from, to)) throw new Error(`${devPath}: xenbus state ${stateName(from)} → ${stateName(to)} is not a protocol step`);
  xs.write(`${devPath}/state`, String(to));
}

/**
 * The toolstack's part of adding a device (libxl__device_generic_add): both directories, each
 * owned by its end and readable by the other, pointing at each other, both Initialising.
 */
export function addDevice(xs: XsClient, dev: { type: string; feDomid: number; beDomid: number; devid: number; backend?: Record<string, string>; frontend?: Record<string, string> }): { fe: string; be: string } {
  const fe = frontendPath(dev.feDomid, dev.type, dev.devid);
  const be = backendPath(dev.beDomid, dev.type, dev.feDomid, dev.devid);
  for (;;) {
    const t = xs.transactionStart();
    xs.mkdir(fe, t);
    xs.setPerms(fe, [`n${dev.feDomid}`, `r${dev.beDomid}`], t);
    xs.mkdir(be, t);
    xs.setPerms(be, [`n${dev.beDomid}`, `r${dev.feDomid}`], t);
    xs.write(`${fe}/backend`, be, t);
    xs.write(`${fe}/backend-id`, String(dev.beDomid), t);
    xs.write(`${fe}/state`, String(XenbusState.Initialising), t);
    xs.write(`${be}/frontend`, fe, t);
    xs.write(`${be}/frontend-id`, String(dev.feDomid), t);
    xs.write(`${be}/online`, '1', t);
    xs.write(`${be}/state`, String(XenbusState.Initialising), t);
    for (const [k, v] of Object.entries(dev.backend ?? {})) xs.write(`${be}/${k}`, v, t);
    for (const [k, v] of Object.entries(dev.frontend ?? {})) xs.write(`${fe}/${k}`, v, t);
    if (xs.transactionEnd(t)) return { fe, be };
  }
}
