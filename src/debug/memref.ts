/**
 * DAP memory references name an address space as well as an address, because a debugger of a
 * whole Xen system has three (DESIGN.md "Memory"):
 *
 *   d1:gva:0xc0001000      guest-virtual, translated by vCPU 0's page tables of domain 1
 *   d1.v2:gva:0xc0001000   … by vCPU 2's
 *   d1:gpa:0x1000          guest-physical of domain 1
 *   ma:0x7f000             machine address
 *
 * A plain number (`0xc0001000`) is taken as a gva of the thread the request is about.
 */
import type { AddressSpace } from '../xen/inspect';

export interface MemoryReference {
  space: AddressSpace;
  /** absent for `ma` */
  domid?: number;
  vcpu?: number;
  address: number;
}

export class MemoryReferenceError extends Error {}

const RE = /^\s*(?:d(\d+)(?:\.v(?:cpu)?(\d+))?:(gva|gpa):|(ma):)?(0x[0-9a-f]+|\d+)\s*$/i;

/**
 * Parses a reference; `fallback` supplies the domain and vCPU for a bare address.
 * Throws MemoryReferenceError saying what a reference looks like.
 */
export function parseMemoryReference(text: string, fallback?: { domid: number; vcpu: number }): MemoryReference {
  const m = RE.exec(text);
  if (!m) throw new MemoryReferenceError(`'${text}' is not a memory reference (d<domid>[.v<vcpu>]:gva:<addr>, d<domid>:gpa:<addr>, ma:<addr>)`);
  const address = m[5].toLowerCase().startsWith('0x') ? parseInt(m[5].slice(2), 16) : parseInt(m[5], 10);
  if (!(address <= 0xffffffff)) throw new MemoryReferenceError(`address ${m[5]} is wider than 32 bits`);
  if (m[4]) return { space: 'ma', address };
  if (m[3]) {
    const space = m[3].toLowerCase() as AddressSpace;
    const domid = Number(m[1]);
    const vcpu = space === 'gva' ? (m[2] !== undefined ? Number(m[2]) : 0) : undefined;
    return { space, domid, vcpu, address };
  }
  if (!fallback) throw new MemoryReferenceError(`'${text}' names no domain: write d<domid>:gva:${m[5]}`);
  return { space: 'gva', domid: fallback.domid, vcpu: fallback.vcpu, address };
}

export function formatMemoryReference(ref: MemoryReference): string {
  const a = `0x${(ref.address >>> 0).toString(16)}`;
  if (ref.space === 'ma') return `ma:${a}`;
  const v = ref.space === 'gva' && ref.vcpu ? `.v${ref.vcpu}` : '';
  return `d${ref.domid}${v}:${ref.space}:${a}`;
}

/** The same reference moved by `offset` bytes (wrapping at 4 GiB as addresses do). */
export function offsetReference(ref: MemoryReference, offset: number): MemoryReference {
  return { ...ref, address: (ref.address + offset) >>> 0 };
}
