/**
 * The device model of one HVM domain, run as a dom0 service (QEMU's role): the ioreqs Xen
 * forwards (port I/O the hypervisor does not handle itself, MMIO on gfns with no RAM) land on
 * one I/O bus with a 16550 UART at 0x3F8 (the domain's console), the PICs, the PIT, the CMOS
 * RTC and an exit port (QEMU's isa-debug-exit at 0x501) that powers the domain off.
 */
import type { AccessSize } from '../../cpu/platform';
import { IoBus } from './iobus';
import { Uart16550 } from './uart';
import { PicPair } from './pic';
import { Pit8254 } from './pit';
import { CmosRtc } from './rtc';
import { Ioreq, serveIoreq, IOREQ_DIR, IOREQ_TYPE } from './ioreq';

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

  constructor(host: DeviceModelHost) {
    this.uart = new Uart16550(this.bus, COM1, (b) => host.console(b));
    this.pic = new PicPair(this.bus, () => host.irqChanged());
    this.pit = new Pit8254(this.bus, () => host.now(), () => host.irqChanged());
    this.rtc = new CmosRtc(this.bus, () => host.now());
    this.bus.register('exit', EXIT_PORT, 1, () => 0xff, (_p, _s, v) => host.poweroff(v & 0xff));
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
   * Answer the request waiting in `slot` of the ioreq page (port I/O onto the bus; nothing
   * here decodes MMIO, which reads as all ones). With data_is_ptr the data moves through the
   * guest's memory, one element after the other, `count` times (backwards with df).
   */
  serve(page: Uint8Array, slot: number, mem: GuestPhysical): Ioreq | null {
    return serveIoreq(page, slot, (r) => {
      const size = r.size as AccessSize;
      const ones = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      const one = (data: number) => {
        if (r.type !== IOREQ_TYPE.PIO) return r.dir === IOREQ_DIR.READ ? ones : 0;
        if (r.dir === IOREQ_DIR.READ) return this.ioRead(r.addr, size);
        this.ioWrite(r.addr, size, data);
        return 0;
      };
      if (!r.dataIsPtr) return one(r.data);
      for (let i = 0; i < r.count; i++) {
        const gpa = r.data + (r.df ? -i : i) * size;
        if (r.dir === IOREQ_DIR.READ) {
          const v = one(0);
          mem.write(gpa, Uint8Array.from({ length: size }, (_, k) => (v >>> (8 * k)) & 0xff));
        } else {
          const b = mem.read(gpa, size);
          one(b.reduce((acc, x, k) => acc | (x << (8 * k)), 0) >>> 0);
        }
      }
      return 0;
    });
  }

  /** Every device's registers as plain data (snapshots). */
  save(): DeviceModelState {
    return { uart: dataOf(this.uart), picMaster: dataOf(this.pic.master), picSlave: dataOf(this.pic.slave), pit: dataOf(this.pit), rtc: dataOf(this.rtc) };
  }

  restore(s: DeviceModelState): void {
    Object.assign(this.uart, structuredClone(s.uart));
    Object.assign(this.pic.master, structuredClone(s.picMaster));
    Object.assign(this.pic.slave, structuredClone(s.picSlave));
    Object.assign(this.pit, structuredClone(s.pit));
    Object.assign(this.rtc, structuredClone(s.rtc));
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
