// The "Xen" scope of a vCPU for the debugger: domain, runstate, events, timers, credit.
import type { Hypervisor } from './hypervisor';
import type { Vcpu } from './domain';
import type { XenStateNode } from './inspect';
import { grantStateOf } from './grant/state';

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

export function xenStateOf(hv: Hypervisor, v: Vcpu): XenStateNode[] {
  const d = v.domain;
  const info = hv.vcpuInfo(v);
  const si = d.sharedInfoMfn ? hv.shared(d) : undefined;
  const ports: XenStateNode[] = [];
  for (let p = 1; p < d.evtchns.length; p++) {
    const c = d.evtchns[p];
    if (c.state === 'free') continue;
    const detail = c.state === 'interdomain' || c.state === 'unbound' ? ` remote d${c.remoteDom}:${c.remotePort}` : c.state === 'virq' ? ` ${hv.events.virqName(d, p)}` : '';
    ports.push({ name: `port ${p}`, value: `${c.state}${detail} vcpu${c.vcpu}${si?.pending(p) ? ' pending' : ''}${si?.masked(p) ? ' masked' : ''}` });
  }
  const nodes: XenStateNode[] = [
    { name: 'domain', value: `d${d.id} ${d.name}`, children: [
      { name: 'id', value: String(d.id) },
      { name: 'name', value: d.name },
      { name: 'type', value: d.kind },
      { name: 'privileged', value: String(d.privileged) },
      { name: 'state', value: d.state + (d.shutdownReason ? ` (${d.shutdownReason})` : '') },
      { name: 'pages', value: `${d.pages} / ${d.maxPages}` },
      { name: 'hypercalls', value: String(d.hypercalls) },
    ] },
    { name: 'runstate', value: info.runstate, children: Object.entries(info.runstateTime).map(([k, t]) => ({ name: k, value: `${t} ns` })) },
    { name: 'pcpu', value: String(v.pcpu) },
    { name: 'upcall', value: si ? `pending=${si.upcallPending(v.id)} mask=${si.upcallMask(v.id)}` : 'no shared_info' },
    { name: 'event channels', value: `${ports.length} bound`, children: ports },
    { name: 'timer', value: v.timer.deadline >= 0 ? `${v.timer.deadline} ns` : 'stopped' },
    { name: 'credit', value: `${Math.round(v.sched.credit)} (${v.sched.pri}${v.sched.parked ? ', parked' : ''})`, children: [
      { name: 'weight', value: String(d.weight) },
      { name: 'cap', value: String(d.cap) },
    ] },
    { name: 'callbacks', value: v.eventCallback ? `event ${hex(v.eventCallback.eip)}` : 'none', children: [
      { name: 'event', value: v.eventCallback ? `${hex(v.eventCallback.cs)}:${hex(v.eventCallback.eip)}` : 'none' },
      { name: 'failsafe', value: v.failsafeCallback ? `${hex(v.failsafeCallback.cs)}:${hex(v.failsafeCallback.eip)}` : 'none' },
      { name: 'kernel stack', value: `${hex(v.kernelSs)}:${hex(v.kernelSp)}` },
    ] },
  ];
  const grants = grantStateOf(hv, d.id);
  if (grants) nodes.push(grants);
  if (info.activity) nodes.unshift({ name: 'in Xen', value: info.activity.description });
  return nodes;
}
