/**
 * The 8254 PIT (ports 0x40–0x43; as v86's pit.js), channel 0 wired to IRQ 0: modes 2 and 3
 * fire periodically every `count` ticks of the 1.193182 MHz input clock, other modes once.
 * Time is the simulator's virtual clock, so interrupts land at exact, repeatable instants.
 */
import type { IoBus } from './iobus';

export const PIT_HZ = 1193182;

interface Channel {
  mode: number;
  /** 1 lo, 2 hi, 3 lo then hi */
  access: number;
  reload: number;
  /** lo byte written, waiting for hi */
  lowNext: boolean;
  latched: number | null;
  readHigh: boolean;
  /** virtual ns the count was loaded, -1: not counting */
  start: number;
}

export class Pit8254 {
  readonly ch: Channel[] = [0, 1, 2].map(() => ({ mode: 0, access: 3, reload: 0x10000, lowNext: true, latched: null, readHigh: false, start: -1 }));
  /** virtual ns of channel 0's next IRQ 0, or -1 */
  nextFire = -1;
  fired = 0;

  constructor(
    bus: IoBus,
    private readonly now: () => number,
    private readonly changed: () => void,
  ) {
    bus.register('pit', 0x40, 4, (p) => this.read(p - 0x40), (p, _s, v) => this.write(p - 0x40, v & 0xff));
  }

  private periodNs(c: Channel): number {
    return ((c.reload || 0x10000) * 1e9) / PIT_HZ;
  }

  private count(c: Channel): number {
    if (c.start < 0) return c.reload & 0xffff;
    const ticks = Math.floor(((this.now() - c.start) * PIT_HZ) / 1e9);
    const r = c.reload || 0x10000;
    return c.mode === 2 || c.mode === 3 ? r - (ticks % r) : Math.max(0, r - ticks);
  }

  private read(i: number): number {
    if (i === 3) return 0xff;
    const c = this.ch[i];
    const v = c.latched ?? this.count(c);
    let out: number;
    if (c.access === 1) out = v & 0xff;
    else if (c.access === 2) out = (v >> 8) & 0xff;
    else {
      out = c.readHigh ? (v >> 8) & 0xff : v & 0xff;
      c.readHigh = !c.readHigh;
      if (c.readHigh) return out;
    }
    c.latched = null;
    return out;
  }

  private write(i: number, v: number): void {
    if (i === 3) {
      const sel = v >> 6;
      if (sel === 3) return; // read-back: not modelled
      const c = this.ch[sel];
      if ((v & 0x30) === 0) {
        c.latched = this.count(c);
        c.readHigh = false;
        return;
      }
      c.access = (v >> 4) & 3;
      c.mode = (v >> 1) & 7;
      if (c.mode > 5) c.mode -= 4;
      c.lowNext = true;
      c.start = -1;
      if (sel === 0) this.nextFire = -1;
      return;
    }
    const c = this.ch[i];
    if (c.access === 1) c.reload = (c.reload & 0xff00) | v;
    else if (c.access === 2) c.reload = (c.reload & 0xff) | (v << 8);
    else if (c.lowNext) {
      c.reload = (c.reload & 0xff00) | v;
      c.lowNext = false;
      return;
    } else {
      c.reload = (c.reload & 0xff) | (v << 8);
      c.lowNext = true;
    }
    c.start = this.now();
    if (i === 0) {
      this.nextFire = c.start + this.periodNs(c);
      this.changed();
    }
  }

  /** Fire IRQ 0 for every period that ended by `now` (one edge per call: the PIC latches edges). */
  advance(now: number, raise: () => void): void {
    const c = this.ch[0];
    if (this.nextFire < 0 || now < this.nextFire) return;
    this.fired++;
    raise();
    if (c.mode === 2 || c.mode === 3) {
      const p = this.periodNs(c);
      // missed periods coalesce into this one edge, as a PIC would latch them
      while (this.nextFire <= now) this.nextFire += p;
    } else this.nextFire = -1;
  }
}
