// Small helpers shared by the hypercall families.
import { XEN_ERRNO } from '../abi';
import { XenError } from '../mm';
import type { HypercallContext } from './types';

export function fail(e: keyof typeof XEN_ERRNO, msg: string): never {
  throw new XenError(-XEN_ERRNO[e], msg);
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function u64(b: Uint8Array, o: number): number {
  return u32(b, o + 4) * 0x100000000 + u32(b, o);
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

export function requirePrivileged(ctx: HypercallContext, what: string): void {
  if (!ctx.domain.privileged) fail('EPERM', `${what} is for the privileged domain only (d${ctx.domain.id} is not)`);
}
