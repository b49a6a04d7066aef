/** No section grows beyond this: a runaway TIMES or RESB is an error, not an out-of-memory crash. */
export const MAX_SECTION_BYTES = 64 * 1024 * 1024;

export class OutputTooLarge extends Error {}

/** A growable byte buffer that a section writes into at its current length. */
export class OutputBuffer {
  private buf = new Uint8Array(256);

  reset(): void {
    // keep the capacity: the next pass writes about as much again
  }

  private ensure(end: number): void {
    if (end <= this.buf.length) return;
    if (!(end <= MAX_SECTION_BYTES)) throw new OutputTooLarge(`section would exceed ${MAX_SECTION_BYTES / 1024 / 1024} MiB`);
    let cap = this.buf.length;
    while (cap < end) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf);
    this.buf = next;
  }

  write(at: number, bytes: ArrayLike<number>): void {
    this.ensure(at + bytes.length);
    this.buf.set(bytes, at);
  }

  fill(at: number, n: number, value: number): void {
    this.ensure(at + n);
    this.buf.fill(value, at, at + n);
  }

  /** Append `times` copies of the `size` bytes at `from` right after them. */
  repeat(from: number, size: number, times: number): void {
    let end = from + size;
    this.ensure(end + size * times);
    // doubling copies: log(times) calls instead of one per copy
    let done = 1;
    while (done < times + 1) {
      const n = Math.min(done, times + 1 - done);
      this.buf.copyWithin(end, from, from + n * size);
      end += n * size;
      done += n;
    }
  }

  bytes(length: number): Uint8Array {
    this.ensure(length);
    return this.buf.subarray(0, length);
  }
}
