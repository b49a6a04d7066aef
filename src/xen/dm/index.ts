/**
 * The device model of one HVM domain, run as a dom0 service (QEMU's role): the ioreqs Xen
 * forwards (port I/O the hypervisor does not handle itself, MMIO on gfns with no RAM) land on
 * one I/O bus with a 16550 UART at 0x3F8 (the domain's console), the PICs, the PIT, the CMOS
 * RTC and an exit port (QEMU's isa-debug-exit at 0x501) that powers the domain off; and the
 * MMIO ranges it claims from Xen (the VGA text window), which reach it as IOREQ_TYPE_COPY.
 */
import type { AccessSize } from '../../cpu/platform';
import { IoBus } from './iobus';
import { Uart16550 } from './uart';
import { PicPair } from './pic';
import { Pit8254 } from './pit';
import { CmosRtc } from './rtc';
import { Ioreq, serveIoreq, IOREQ_DIR, IOREQ_TYPE } from './ioreq';
import { VgaText, VGA_TEXT_BASE, VGA_TEXT_SIZE } from './vga';

export { IoBus } from './iobus';

export const EXIT_PORT = 0x501;
export const COM1 = 0x3f8;

export interface DeviceModelHost {
  /** virtual ns */
  now(): number;
  /** a byte the guest sent to its serial port */
  console(byte: number): void;
  /** the guest wrote `code` to the exit port */
  poweroff(code: number): void;
  /** the interrupt line may have changed (wake a halted vCPU) */
  irqChanged(): void;
}

export interface DeviceModelState {
  uart: Record<string, unknown>;
  picMaster: Record<string, unknown>;
  picSlave: Record<string, unknown>;
  pit: Record<string, unknown>;
  rtc: Record<string, unknown>;
  vga: Record<string, unknown>;
}

/** A guest-physical range the device model emulates (offsets from `base`). */
export interface MmioRange {
  name: string;
  base: number;
  size: number;
  read(off: number, size: AccessSize): number;
  write(off: number, size: AccessSize, value: number): void;
}

/** A device's own data fields (its wiring — callbacks — left out), deep-copied. */
function dataOf(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v !== 'function') out[k] = structuredClone(v);
  return out;
}

/** The HVM domain's memory by guest-physical address, as the device model maps it. */
export interface GuestPhysical {
  read(gpa: number, len: number): Uint8Array;
  write(gpa: number, data: Uint8Array): void;
}

export class DeviceModel {
  readonly bus = new IoBus();
  readonly uart: Uart16550;
  readonly pic: PicPair;
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly vga = new VgaText();
  /** the MMIO ranges mapped to this device model's ioreq server */
  readonly mmio: MmioRange[] = [];

  constructor(host: DeviceModelHost) {
    this.uart = new Uart16550(this.bus, COM1, (b) => host.console(b));
    this.pic = new PicPair(this.bus, () => host.irqChanged());
    this.pit = new Pit8254(this.bus, () => host.now(), () => host.irqChanged());
    this.rtc = new CmosRtc(this.bus, () => host.now());
    this.bus.register('exit', EXIT_PORT, 1, () => 0xff, (_p, _s, v) => host.poweroff(v & 0xff));
    this.mapMmioRange({ name: 'vga', base: VGA_TEXT_BASE, size: VGA_TEXT_SIZE, read: (o, n) => this.vga.read(o, n), write: (o, n, v) => this.vga.write(o, n, v) });
  }

  /**
   * XEN_DMOP_map_io_range_to_ioreq_server (XEN_DMOP_IO_RANGE_MEMORY), as QEMU registers its
   * memory regions: Xen forwards EPT violations in the range to this device model; MMIO nobody
   * claimed still crashes the domain.
   */
  mapMmioRange(r: MmioRange): void {
    const other = this.mmio.find((m) => r.base < m.base + m.size && m.base < r.base + r.size);
    if (other) throw new Error(`internal: MMIO 0x${r.base.toString(16)} claimed by ${other.name} and ${r.name}`);
    this.mmio.push(r);
  }

  /** Which MMIO range decodes a guest-physical address, or undefined. */
  mmioRange(gpa: number): MmioRange | undefined {
    return this.mmio.find((m) => gpa >= m.base && gpa < m.base + m.size);
  }

  /** Whether an ioreq for this port has a device behind it. */
  decodes(port: number): boolean {
    return this.bus.owner(port) !== undefined;
  }

  ioRead(port: number, size: AccessSize): number {
    return this.bus.read(port, size);
  }

  ioWrite(port: number, size: AccessSize, value: number): void {
    this.bus.write(port, size, value);
  }

  /**
   * Answer the request waiting in `slot` of the ioreq page (port I/O onto the bus, MMIO onto
   * the claimed ranges; an address nobody here decodes reads as all ones). With data_is_ptr the data moves through the
   * guest's memory, one element after the other, `count` times (backwards with df).
   */
  serve(page: Uint8Array, slot: number, mem: GuestPhysical): Ioreq | null {
    return serveIoreq(page, slot, (r) => {
      const size = r.size as AccessSize;
      const ones = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      const read = r.dir === IOREQ_DIR.READ;
      // element i: a port stays put, an MMIO address moves with the data (backwards with df)
      const one = (data: number, i: number) => {
        if (r.type === IOREQ_TYPE.PIO) {
          if (read) return this.ioRead(r.addr, size);
          this.ioWrite(r.addr, size, data);
          return 0;
        }
        const addr = r.addr + (r.df ? -i : i) * size;
        const m = r.type === IOREQ_TYPE.COPY ? this.mmioRange(addr) : undefined;
        if (!m) return read ? ones : 0;
        if (read) return m.read(addr - m.base, size) >>> 0;
        m.write(addr - m.base, size, data);
        return 0;
      };
      if (!r.dataIsPtr) return one(r.data, 0);
      for (let i = 0; i < r.count; i++) {
        const gpa = r.data + (r.df ? -i : i) * size;
        if (read) {
          const v = one(0, i);
          mem.write(gpa, Uint8Array.from({ length: size }, (_, k) => (v >>> (8 * k)) & 0xff));
        } else {
          const b = mem.read(gpa, size);
          one(b.reduce((acc, x, k) => acc | (x << (8 * k)), 0) >>> 0, i);
        }
      }
      return 0;
    });
  }

  /** Every device's registers as plain data (snapshots). */
  save(): DeviceModelState {
    return { uart: dataOf(this.uart), picMaster: dataOf(this.pic.master), picSlave: dataOf(this.pic.slave), pit: dataOf(this.pit), rtc: dataOf(this.rtc), vga: dataOf(this.vga) };
  }

  restore(s: DeviceModelState): void {
    Object.assign(this.uart, structuredClone(s.uart));
    Object.assign(this.pic.master, structuredClone(s.picMaster));
    Object.assign(this.pic.slave, structuredClone(s.picSlave));
    Object.assign(this.pit, structuredClone(s.pit));
    Object.assign(this.rtc, structuredClone(s.rtc));
    Object.assign(this.vga, structuredClone(s.vga));
  }

  /** Bring the timers up to `now`, raising their IRQs. */
  advance(now: number): void {
    this.pit.advance(now, () => this.pic.raise(0));
  }

  /** virtual ns of the next timer interrupt, or Infinity */
  nextDeadline(): number {
    return this.pit.nextFire >= 0 ? this.pit.nextFire : Infinity;
  }
}
