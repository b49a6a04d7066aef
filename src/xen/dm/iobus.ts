/**
 * The device model's one I/O bus (as v86's io.js): each device registers the ports it decodes
 * with read and write handlers per byte, word or dword; an access nobody decodes reads as all
 * ones and writes are dropped, as on an ISA bus.
 */
import type { AccessSize } from '../../cpu/platform';

export type PortRead = (port: number, size: AccessSize) => number;
export type PortWrite = (port: number, size: AccessSize, value: number) => void;

interface Handler {
  name: string;
  read: PortRead;
  write: PortWrite;
}

export class IoBus {
  private readonly ports = new Map<number, Handler>();

  /** Claim `count` ports from `base` for device `name`. */
  register(name: string, base: number, count: number, read: PortRead, write: PortWrite): void {
    for (let p = base; p < base + count; p++) {
      const other = this.ports.get(p);
      if (other) throw new Error(`internal: port 0x${p.toString(16)} claimed by ${other.name} and ${name}`);
      this.ports.set(p, { name, read, write });
    }
  }

  /** Which device decodes a port (for the trace), or undefined. */
  owner(port: number): string | undefined {
    return this.ports.get(port & 0xffff)?.name;
  }

  read(port: number, size: AccessSize): number {
    const h = this.ports.get(port & 0xffff);
    if (!h) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return h.read(port & 0xffff, size) >>> 0;
  }

  write(port: number, size: AccessSize, value: number): void {
    this.ports.get(port & 0xffff)?.write(port & 0xffff, size, value >>> 0);
  }
}
