/**
 * The legacy VGA text window as QEMU's VGA keeps it (hw/display/vga.c in text mode): the
 * 32 KiB at 0xB8000–0xBFFFF are the device model's memory, not the guest's RAM; the screen is
 * its first 80×25 cells of character (code page 437) and attribute byte. Accesses of any size
 * at any offset read and write those bytes little-endian, as the VGA's byte lanes do.
 */
import type { AccessSize } from '../../cpu/platform';

export const VGA_TEXT_BASE = 0xb8000;
export const VGA_TEXT_SIZE = 0x8000;
export const VGA_COLS = 80;
export const VGA_ROWS = 25;

export class VgaText {
  /** char, attribute, char, attribute … (plain data: saved and restored as the device's state) */
  mem = new Uint8Array(VGA_TEXT_SIZE);
  /** the guest wrote the window at least once (an untouched screen is not shown) */
  written = false;

  read(off: number, size: AccessSize): number {
    let v = 0;
    for (let k = 0; k < size && off + k < VGA_TEXT_SIZE; k++) v |= this.mem[off + k] << (8 * k);
    return v >>> 0;
  }

  write(off: number, size: AccessSize, value: number): void {
    for (let k = 0; k < size && off + k < VGA_TEXT_SIZE; k++) this.mem[off + k] = (value >>> (8 * k)) & 0xff;
    this.written = true;
  }

  /**
   * The screen as text: one string per row, trailing blanks dropped, control and NUL cells
   * shown as spaces, characters above 0x7E as '?' (no code page 437 glyphs here); trailing
   * empty rows dropped.
   */
  screen(): string[] {
    const rows: string[] = [];
    for (let y = 0; y < VGA_ROWS; y++) {
      let line = '';
      for (let x = 0; x < VGA_COLS; x++) {
        const c = this.mem[(y * VGA_COLS + x) * 2];
        line += c < 0x20 ? ' ' : c > 0x7e ? '?' : String.fromCharCode(c);
      }
      rows.push(line.trimEnd());
    }
    while (rows.length && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }
}
