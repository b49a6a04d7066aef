/**
 * The in-process xenstore client dom0's own services use (toolstack, back ends): the libxenstore
 * calls (xs_read, xs_write, xs_directory, xs_watch, transactions) as requests on the daemon,
 * XS_ERROR replies thrown as XsError.
 */
import { XS } from '../../abi';
import { XsError } from './tree';
import { splitStrings, strings, text } from './wire';
import type { XenStore } from './xenstored';

export class XsClient {
  constructor(
    readonly xs: XenStore,
    readonly domid = 0,
  ) {}

  private req(type: number, payload: Uint8Array, tx = 0): Uint8Array {
    const r = this.xs.request(this.domid, type, payload, tx);
    if (r.type === XS.ERROR) {
      const errno = splitStrings(r.payload)[0] as XsError['errno'];
      throw new XsError(errno, `${errno} from xenstored`);
    }
    return r.payload;
  }

  read(path: string, tx = 0): string {
    return text(this.req(XS.READ, strings(path), tx));
  }

  /** xs_read that answers undefined for a missing node. */
  tryRead(path: string, tx = 0): string | undefined {
    try {
      return this.read(path, tx);
    } catch (e) {
      if (e instanceof XsError && e.errno === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(path: string, value: string | Uint8Array, tx = 0): void {
    const v = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    const p = strings(path);
    const b = new Uint8Array(p.length + v.length);
    b.set(p);
    b.set(v, p.length);
    this.req(XS.WRITE, b, tx);
  }

  mkdir(path: string, tx = 0): void {
    this.req(XS.MKDIR, strings(path), tx);
  }

  rm(path: string, tx = 0): void {
    this.req(XS.RM, strings(path), tx);
  }

  directory(path: string, tx = 0): string[] {
    return splitStrings(this.req(XS.DIRECTORY, strings(path), tx));
  }

  getPerms(path: string, tx = 0): string[] {
    return splitStrings(this.req(XS.GET_PERMS, strings(path), tx));
  }

  setPerms(path: string, perms: string[], tx = 0): void {
    this.req(XS.SET_PERMS, strings(path, ...perms), tx);
  }

  watch(path: string, token: string): void {
    this.req(XS.WATCH, strings(path, token));
  }

  unwatch(path: string, token: string): void {
    this.req(XS.UNWATCH, strings(path, token));
  }

  transactionStart(): number {
    return Number(splitStrings(this.req(XS.TRANSACTION_START, strings('')))[0]);
  }

  /** Commit (or abort); false when the commit conflicted (EAGAIN) and must be retried. */
  transactionEnd(tx: number, commit = true): boolean {
    try {
      this.req(XS.TRANSACTION_END, strings(commit ? 'T' : 'F'), tx);
      return true;
    } catch (e) {
      if (e instanceof XsError && e.errno === 'EAGAIN') return false;
      throw e;
    }
  }

  introduce(domid: number, mfn: number, port: number): void {
    this.req(XS.INTRODUCE, strings(String(domid), String(mfn), String(port)));
  }

  release(domid: number): void {
    this.req(XS.RELEASE, strings(String(domid)));
  }
}
