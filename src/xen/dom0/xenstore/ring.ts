/**
 * A byte ring in a shared page, as xenstore (xenstore_domain_interface) and the console
 * (xencons_interface) use them: a power-of-two data area and free-running 32-bit cons/prod
 * indices, masked into the area. The other end is an untrusted guest: indices that claim more
 * than the ring holds are reported (RingError), never followed.
 */

export interface RingLayout {
  /** byte offset of the data area in the page */
  data: number;
  /** size of the data area (a power of two) */
  size: number;
  /** byte offsets of the cons and prod indices */
  cons: number;
  prod: number;
}

export class RingError extends Error {}

export class ByteRing {
  constructor(
    private readonly page: () => Uint8Array,
    readonly layout: RingLayout,
  ) {}

  private get dv(): DataView {
    const p = this.page();
    return new DataView(p.buffer, p.byteOffset, p.byteLength);
  }

  get cons(): number {
    return this.dv.getUint32(this.layout.cons, true);
  }

  get prod(): number {
    return this.dv.getUint32(this.layout.prod, true);
  }

  /** Bytes waiting to be consumed; RingError when the indices are impossible. */
  available(): number {
    const n = (this.prod - this.cons) >>> 0;
    if (n > this.layout.size) throw new RingError(`ring indices cons=${this.cons} prod=${this.prod} claim ${n} bytes in a ${this.layout.size}-byte ring`);
    return n;
  }

  /** Consumer: take up to `max` bytes and advance cons. */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.available());
    const out = new Uint8Array(n);
    const page = this.page();
    let c = this.cons;
    for (let i = 0; i < n; i++, c = (c + 1) >>> 0) out[i] = page[this.layout.data + (c & (this.layout.size - 1))];
    this.dv.setUint32(this.layout.cons, c, true);
    return out;
  }

  /**
   * Consumer facing a lying producer: move cons to one ring's worth behind prod, so the next
   * read takes at most the ring's current contents (what a console back end can still show).
   */
  resync(): void {
    this.dv.setUint32(this.layout.cons, (this.prod - this.layout.size) >>> 0, true);
  }

  /** Producer: free space; RingError when the consumer's index is impossible. */
  space(): number {
    return this.layout.size - this.available();
  }

  /** Producer: write as much of `data` as fits, advance prod; the count written. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.space());
    const page = this.page();
    let p = this.prod;
    for (let i = 0; i < n; i++, p = (p + 1) >>> 0) page[this.layout.data + (p & (this.layout.size - 1))] = data[i];
    this.dv.setUint32(this.layout.prod, p, true);
    return n;
  }
}
