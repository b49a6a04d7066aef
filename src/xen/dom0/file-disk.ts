/**
 * A raw image file as blkback's disk (xl disk `format=raw, target=...`), written through on every
 * write and fsynced on flush, so an acknowledged write is on the file when the simulator dies.
 *
 * Snapshots: the file always holds the simulated disk as of the machine's current point. Once a
 * snapshot has been taken, each image file has a DiskJournal: the file's content of each sector
 * before the journal first saw it written (`base`), and the latest data of every sector written
 * since (`written`, immutable 512-byte buffers, so a snapshot shares them instead of copying).
 * A snapshot's disk state is a copy of `written`; restoring it writes back every sector whose
 * content differs (the snapshot's data, or `base` for a sector not yet written then) and fsyncs,
 * so the file is exactly the disk at that snapshot, and continuing from there writes the same
 * sectors with the same data as the original run. Without snapshots no journal is kept.
 */
import * as fs from 'fs';

export const SECTOR_SIZE = 512;

export class DiskJournal {
  private readonly base = new Map<number, Uint8Array>();
  private written = new Map<number, Uint8Array>();

  constructor(readonly file: string) {}

  /** Before `data` goes to the file at `sector` through `fd`. */
  record(fd: number, sector: number, data: Uint8Array): void {
    for (let i = 0; i * SECTOR_SIZE < data.length; i++) {
      const s = sector + i;
      if (!this.base.has(s)) {
        const old = new Uint8Array(SECTOR_SIZE);
        fs.readSync(fd, old, 0, SECTOR_SIZE, s * SECTOR_SIZE);
        this.base.set(s, old);
      }
      this.written.set(s, data.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
    }
  }

  save(): ReadonlyMap<number, Uint8Array> {
    return new Map(this.written);
  }

  /** Put the file back to a saved disk (undefined: as it was when the journal began). */
  restore(target: ReadonlyMap<number, Uint8Array> = new Map()): void {
    const back: [number, Uint8Array][] = [];
    for (const sec of new Set([...this.written.keys(), ...target.keys()])) {
      const want = target.get(sec) ?? this.base.get(sec)!;
      if (want !== (this.written.get(sec) ?? this.base.get(sec))) back.push([sec, want]);
    }
    this.written = new Map(target);
    if (!back.length) return;
    const fd = fs.openSync(this.file, 'r+');
    try {
      for (const [sec, data] of back) fs.writeSync(fd, data, 0, data.length, sec * SECTOR_SIZE);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

export class FileDisk {
  private fd: number;
  readonly sectors: number;

  /** `journal()` gives the file's journal once snapshots are being taken. */
  constructor(
    readonly file: string,
    readonly readonly: boolean,
    private readonly journal: () => DiskJournal | undefined = () => undefined,
  ) {
    this.fd = fs.openSync(file, readonly ? 'r' : 'r+');
    this.sectors = Math.floor(fs.fstatSync(this.fd).size / SECTOR_SIZE);
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** Open the file again after close() (a restore to before the device's teardown). */
  reopen(): void {
    if (this.fd < 0) this.fd = fs.openSync(this.file, this.readonly ? 'r' : 'r+');
  }

  read(sector: number, count: number): Uint8Array {
    const out = new Uint8Array(count * SECTOR_SIZE);
    fs.readSync(this.fd, out, 0, out.length, sector * SECTOR_SIZE);
    return out;
  }

  write(sector: number, data: Uint8Array): void {
    this.journal()?.record(this.fd, sector, data);
    fs.writeSync(this.fd, data, 0, data.length, sector * SECTOR_SIZE);
  }

  flush(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
