/**
 * A 16550A UART (as v86's uart.js, QEMU's serial.c): the transmit holding register goes to the
 * domain's console; the line status always reports the transmitter empty, so a polling driver
 * never waits. No receive data, no interrupts raised.
 */
import type { IoBus } from './iobus';

const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LCR_DLAB = 0x80;

export class Uart16550 {
  ier = 0;
  lcr = 0;
  mcr = 0;
  scr = 0;
  dll = 1;
  dlm = 0;
  /** bytes transmitted */
  sent = 0;

  constructor(
    bus: IoBus,
    readonly base: number,
    private readonly transmit: (byte: number) => void,
  ) {
    bus.register('uart', base, 8, (p) => this.read(p - base), (p, _s, v) => this.write(p - base, v & 0xff));
  }

  private read(reg: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (reg) {
      case 0: return dlab ? this.dll : 0; // RBR: nothing received
      case 1: return dlab ? this.dlm : this.ier;
      case 2: return 0xc1; // IIR: FIFOs enabled, no interrupt pending
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return LSR_THRE | LSR_TEMT;
      case 6: return 0xb0; // MSR: CTS DSR DCD
      default: return this.scr;
    }
  }

  private write(reg: number, v: number): void {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (reg) {
      case 0:
        if (dlab) this.dll = v;
        else {
          this.sent++;
          this.transmit(v);
        }
        break;
      case 1:
        if (dlab) this.dlm = v;
        else this.ier = v & 0x0f;
        break;
      case 3: this.lcr = v; break;
      case 4: this.mcr = v & 0x1f; break;
      case 7: this.scr = v; break;
      default: break; // FCR and read-only registers
    }
  }
}
