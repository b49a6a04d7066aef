/**
 * The CMOS RTC (ports 0x70/0x71; as v86's rtc.js): index register and 128 bytes of CMOS; the
 * clock registers show a fixed epoch (2000-01-01 00:00:00) plus the virtual time, in BCD unless
 * register B selects binary, so a guest reading the date gets the same answer on every run.
 */
import type { IoBus } from './iobus';

/** seconds from 1970 to the epoch the simulated clock starts at */
export const RTC_EPOCH = Date.UTC(2000, 0, 1) / 1000;

export class CmosRtc {
  index = 0;
  readonly cmos = new Uint8Array(128);

  constructor(
    bus: IoBus,
    private readonly now: () => number,
  ) {
    this.cmos[0x0a] = 0x26; // 32.768 kHz base, 1024 Hz rate
    this.cmos[0x0b] = 0x02; // 24-hour, BCD
    this.cmos[0x0d] = 0x80; // valid RAM and time
    bus.register('rtc', 0x70, 2, (p) => (p === 0x70 ? 0xff : this.read()), (p, _s, v) => {
      if (p === 0x70) this.index = v & 0x7f;
      else this.cmos[this.index] = v & 0xff;
    });
  }

  private read(): number {
    const i = this.index;
    if (i >= 10 || i === 1 || i === 3 || i === 5) return this.cmos[i];
    const t = new Date((RTC_EPOCH + Math.floor(this.now() / 1e9)) * 1000);
    const raw = [t.getUTCSeconds(), 0, t.getUTCMinutes(), 0, t.getUTCHours(), 0, t.getUTCDay() + 1, t.getUTCDate(), t.getUTCMonth() + 1, t.getUTCFullYear() % 100][i];
    if (this.cmos[0x0b] & 4) return raw;
    return ((Math.floor(raw / 10) << 4) | raw % 10) & 0xff;
  }
}
