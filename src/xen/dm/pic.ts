/**
 * The two cascaded 8259A PICs (ports 0x20/0x21, 0xA0/0xA1; as v86's pic.js): ICW1–ICW4
 * initialisation, the IMR, edge-triggered IRR, ISR with fixed priority, non-specific and
 * specific EOI, OCW3 register reads. The master's output is the vCPU's interrupt line.
 */
import type { IoBus } from './iobus';

class Pic8259 {
  irr = 0;
  isr = 0;
  imr = 0xff;
  base = 0;
  /** 0: ready; 2..4: expecting ICW2..ICW4 */
  initStep = 0;
  icw4 = false;
  readIsr = false;
  autoEoi = false;

  /** highest-priority IRQ requested and not masked nor blocked by one in service, or -1 */
  pending(): number {
    const req = this.irr & ~this.imr;
    for (let i = 0; i < 8; i++) {
      if (this.isr & (1 << i)) return -1;
      if (req & (1 << i)) return i;
    }
    return -1;
  }

  writeCmd(v: number): void {
    if (v & 0x10) {
      // ICW1
      this.initStep = 2;
      this.icw4 = (v & 1) !== 0;
      this.imr = 0;
      this.isr = 0;
      this.irr = 0;
      this.readIsr = false;
      return;
    }
    if ((v & 0x18) === 0x08) {
      // OCW3
      if (v & 2) this.readIsr = (v & 1) !== 0;
      return;
    }
    // OCW2: EOI
    const cmd = v >> 5;
    if (cmd === 1) {
      for (let i = 0; i < 8; i++) if (this.isr & (1 << i)) { this.isr &= ~(1 << i); break; }
    } else if (cmd === 3) this.isr &= ~(1 << (v & 7));
  }

  writeData(v: number): void {
    switch (this.initStep) {
      case 2:
        this.base = v & 0xf8;
        this.initStep = 3;
        return;
      case 3:
        this.initStep = this.icw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 2) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = v;
    }
  }

  readCmd(): number {
    return this.readIsr ? this.isr : this.irr;
  }
}

export class PicPair {
  readonly master = new Pic8259();
  readonly slave = new Pic8259();

  constructor(bus: IoBus, private readonly changed: () => void) {
    const reg = (pic: Pic8259, base: number) =>
      bus.register(base === 0x20 ? 'pic-master' : 'pic-slave', base, 2, (p) => (p === base ? pic.readCmd() : pic.imr), (p, _s, v) => {
        if (p === base) pic.writeCmd(v & 0xff);
        else pic.writeData(v & 0xff);
        this.changed();
      });
    reg(this.master, 0x20);
    reg(this.slave, 0xa0);
    this.master.base = 0x08;
    this.slave.base = 0x70;
  }

  /** An edge on ISA IRQ line `irq` (0..15). */
  raise(irq: number): void {
    if (irq >= 8) {
      this.slave.irr |= 1 << (irq - 8);
      this.master.irr |= 1 << 2;
    } else this.master.irr |= 1 << irq;
    this.changed();
  }

  /** Whether the master asserts its output (INTR). */
  intr(): boolean {
    const m = this.master.pending();
    if (m < 0) return false;
    return m !== 2 || this.slave.pending() >= 0;
  }

  /** Interrupt acknowledge: the vector, moving the IRQ from IRR to ISR; null when none. */
  acknowledge(): number | null {
    const m = this.master.pending();
    if (m < 0) return null;
    this.master.irr &= ~(1 << m);
    if (!this.master.autoEoi) this.master.isr |= 1 << m;
    if (m === 2) {
      const s = this.slave.pending();
      if (s < 0) return this.master.base | 7; // spurious
      this.slave.irr &= ~(1 << s);
      if (!this.slave.autoEoi) this.slave.isr |= 1 << s;
      return this.slave.base | s;
    }
    return this.master.base | m;
  }
}
