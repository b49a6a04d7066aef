/**
 * xenstored as a dom0 service: one connection per domain, over the domain's store ring
 * (xenstore_domain_interface in the page start_info.store_mfn names) or in-process for dom0's
 * own services, answering xs_wire requests against the tree with xenstored's permission rules,
 * watches, transactions (a conflicting commit answers EAGAIN) and per-domain quotas.
 *
 * A guest cannot harm the daemon: impossible ring indices or an oversized message mark only that
 * connection broken (the `error` field of its ring page says why); each poll serves a bounded
 * number of requests; replies wait in the connection's queue while the response ring is full.
 */
import { IO_CONST, IO_LAYOUTS, XS } from '../../abi';
import { ByteRing, RingError } from './ring';
import { cloneData } from '../../snapshot-fields';
import { Perm, XsError, XsNode, XsTree, XsTreeState, access, components, formatPerm, parentOf, parsePerm } from './tree';
import { HEADER_SIZE, PAYLOAD_MAX, XsMessage, decodeHeader, encode, splitStrings, strings } from './wire';

/** xenstored's default quotas (-Q options): nodes, watches and transactions per domain, value size. */
export const QUOTA = { nodes: 1000, watches: 128, transactions: 10, valueSize: 2048 };
/** Requests served per connection per poll, and replies queued before a connection is not read. */
const REQUESTS_PER_POLL = 64;
const MAX_QUEUED_REPLIES = 32;

export const SPECIAL_WATCHES = ['@introduceDomain', '@releaseDomain'] as const;

/** How xenstored reaches a domain's ring: the page and an event-channel kick. */
export interface XsRingAccess {
  page: () => Uint8Array;
  notify: () => void;
}

export interface XenStoreEnv {
  /** XS_INTRODUCE: map `mfn` of `domid` and bind to its unbound `port`; undefined if impossible. */
  mapRing(domid: number, mfn: number, port: number): XsRingAccess | undefined;
}

interface Watch {
  /** absolute path or @special */
  path: string;
  token: string;
  /** registered relative to the domain's home: events name paths relative to it too */
  relative: boolean;
}

interface Txn {
  tree: XsTree;
  /** generation of each node the transaction looked at, when first seen (-1: absent) */
  seen: Map<string, number>;
  /** changes to replay on the real tree at commit */
  log: { type: number; args: string[]; value?: Uint8Array }[];
}

export interface XsConnection {
  readonly domid: number;
  readonly privileged: boolean;
  watches: Watch[];
  txns: Map<number, Txn>;
  nextTxn: number;
  /** replies and watch events not yet on the response ring (or not yet taken by a local client) */
  out: XsMessage[];
  /** messages that must follow the current reply (a new watch's first event) */
  afterReply: XsMessage[];
  ring?: RingConn;
  broken?: string;
}

interface RingConn {
  req: ByteRing;
  rsp: ByteRing;
  access: XsRingAccess;
  inbuf: Uint8Array;
  partialOut?: Uint8Array;
}

export interface XenStoreState {
  readonly tree: XsTreeState;
  readonly served: [number, number][];
  readonly conns: {
    domid: number;
    privileged: boolean;
    watches: Watch[];
    txns: [number, { tree: XsTreeState; seen: [string, number][]; log: Txn['log'] }][];
    nextTxn: number;
    out: XsMessage[];
    afterReply: XsMessage[];
    ring?: { inbuf: Uint8Array; partialOut?: Uint8Array };
    broken?: string;
  }[];
}

export class XenStore {
  readonly tree = new XsTree();
  private readonly conns = new Map<number, XsConnection>();
  /** requests served, by connection domid (for the trace and tests) */
  readonly served = new Map<number, number>();

  constructor(private readonly env: XenStoreEnv = { mapRing: () => undefined }) {
    this.conns.set(0, newConn(0, true));
    // the standard top of the tree, owned by dom0 and readable by nobody else by default
    const root = this.connection(0);
    for (const p of ['/local', '/local/domain', '/vm', '/tool']) this.exec(root, XS.MKDIR, 0, [p]);
    this.exec(root, XS.SET_PERMS, 0, ['/local', 'r0']);
    this.exec(root, XS.SET_PERMS, 0, ['/local/domain', 'r0']);
  }

  connection(domid: number): XsConnection {
    const c = this.conns.get(domid);
    if (!c) throw new RangeError(`xenstored has no connection for d${domid}`);
    return c;
  }

  isIntroduced(domid: number): boolean {
    return this.conns.has(domid);
  }

  // ------------------------------------------------------------------ transport

  /** Connect a domain's store ring (what XS_INTRODUCE does after mapping it). */
  attachRing(domid: number, access: XsRingAccess, privileged = false): XsConnection {
    const c = newConn(domid, privileged);
    const f = IO_LAYOUTS.xenstore_domain_interface.fields;
    const size = IO_CONST.XENSTORE_RING_SIZE;
    c.ring = {
      req: new ByteRing(access.page, { data: f.req.offset, size, cons: f.req_cons.offset, prod: f.req_prod.offset }),
      rsp: new ByteRing(access.page, { data: f.rsp.offset, size, cons: f.rsp_cons.offset, prod: f.rsp_prod.offset }),
      access,
      inbuf: new Uint8Array(0),
    };
    const dv = new DataView(access.page().buffer, access.page().byteOffset, 4096);
    dv.setUint32(f.server_features.offset, IO_CONST.XENSTORE_SERVER_FEATURE_ERROR, true);
    dv.setUint32(f.connection.offset, IO_CONST.XENSTORE_CONNECTED, true);
    this.conns.set(domid, c);
    this.ringHandles.set(domid, c.ring);
    return c;
  }

  /** Ring handles by domid, kept after release so a restore can reconnect a released domain. */
  private readonly ringHandles = new Map<number, Pick<RingConn, 'req' | 'rsp' | 'access'>>();

  /** Plain data for a machine snapshot: the tree and every connection (ring positions live in guest memory). */
  saveState(): XenStoreState {
    return {
      tree: this.tree.saveState(),
      served: [...this.served],
      conns: [...this.conns.values()].map((c) => ({
        domid: c.domid,
        privileged: c.privileged,
        watches: cloneData(c.watches),
        txns: [...c.txns].map(([id, t]) => [id, { tree: t.tree.saveState(), seen: [...t.seen], log: cloneData(t.log) }]),
        nextTxn: c.nextTxn,
        out: cloneData(c.out),
        afterReply: cloneData(c.afterReply),
        ring: c.ring ? { inbuf: c.ring.inbuf.slice(), partialOut: c.ring.partialOut?.slice() } : undefined,
        broken: c.broken,
      })),
    };
  }

  /** In place (callbacks in onWatch and hooks holding this store stay valid). */
  restoreState(s: XenStoreState): void {
    this.tree.restoreState(s.tree);
    this.served.clear();
    for (const [k, v] of s.served) this.served.set(k, v);
    this.conns.clear();
    for (const sc of s.conns) {
      const handles = this.ringHandles.get(sc.domid);
      if (sc.ring && !handles) throw new Error(`internal: no store ring handles for d${sc.domid}`);
      const txns = new Map<number, Txn>();
      for (const [id, t] of sc.txns) {
        const tree = new XsTree();
        tree.restoreState(t.tree);
        txns.set(id, { tree, seen: new Map(t.seen), log: cloneData(t.log) });
      }
      this.conns.set(sc.domid, {
        domid: sc.domid,
        privileged: sc.privileged,
        watches: cloneData(sc.watches),
        txns,
        nextTxn: sc.nextTxn,
        out: cloneData(sc.out),
        afterReply: cloneData(sc.afterReply),
        ring: sc.ring && handles ? { ...handles, inbuf: sc.ring.inbuf.slice(), partialOut: sc.ring.partialOut?.slice() } : undefined,
        broken: sc.broken,
      });
    }
  }

  /**
   * Serve a ring connection: drain queued output, read and answer up to REQUESTS_PER_POLL
   * requests, kick the domain if anything was written. Returns whether anything happened.
   */
  poll(domid: number): boolean {
    const r = this.serve(domid);
    return r.requests > 0 || r.wrote;
  }

  /** poll, saying how many requests it answered (dom0's work) and whether it wrote to the ring. */
  serve(domid: number): { requests: number; wrote: boolean } {
    const c = this.conns.get(domid);
    if (!c?.ring || c.broken) return { requests: 0, wrote: false };
    const r = c.ring;
    let wrote = false;
    let requests = 0;
    try {
      wrote = this.flush(c) || wrote;
      for (let n = 0; n < REQUESTS_PER_POLL && c.out.length < MAX_QUEUED_REPLIES; n++) {
        const m = this.readMessage(c);
        if (!m) break;
        requests++;
        this.handle(c, m);
        this.deliverLocal();
        wrote = this.flush(c) || wrote;
      }
    } catch (e) {
      if (!(e instanceof RingError || e instanceof ProtocolError)) throw e;
      this.breakConnection(c, e.message, e instanceof RingError ? IO_CONST.XENSTORE_ERROR_RINGIDX : IO_CONST.XENSTORE_ERROR_PROTO);
    }
    if (wrote) r.access.notify();
    return { requests, wrote };
  }

  /**
   * Whether serving `domid`'s ring would do something: a request (or part of one) waiting, or
   * replies and watch events queued with room in the response ring. A ring whose indices are
   * impossible counts (serving it breaks the connection).
   */
  pending(domid: number): boolean {
    const c = this.conns.get(domid);
    if (!c?.ring || c.broken) return false;
    try {
      if ((c.out.length > 0 || c.ring.partialOut !== undefined) && c.ring.rsp.space() > 0) return true;
      // a guest that does not read its replies is not served more (poll's bound): no busy loop
      return c.out.length < MAX_QUEUED_REPLIES && c.ring.req.available() > 0;
    } catch (e) {
      if (!(e instanceof RingError)) throw e;
      return true;
    }
  }

  /** Domains whose connections have output waiting or a request pending (for the dom0 loop). */
  busy(): number[] {
    const out: number[] = [];
    for (const c of this.conns.values()) {
      if (!c.ring || c.broken) continue;
      try {
        if (c.out.length || c.ring.partialOut || c.ring.req.available() > 0) out.push(c.domid);
      } catch {
        out.push(c.domid);
      }
    }
    return out;
  }

  private breakConnection(c: XsConnection, why: string, code: number): void {
    c.broken = why;
    if (c.ring) {
      const page = c.ring.access.page();
      new DataView(page.buffer, page.byteOffset, 4096).setUint32(IO_LAYOUTS.xenstore_domain_interface.fields.error.offset, code, true);
    }
  }

  private readMessage(c: XsConnection): XsMessage | undefined {
    const r = c.ring!;
    const need = (n: number) => {
      if (r.inbuf.length < n) {
        const more = r.req.read(n - r.inbuf.length);
        if (more.length) {
          const b = new Uint8Array(r.inbuf.length + more.length);
          b.set(r.inbuf);
          b.set(more, r.inbuf.length);
          r.inbuf = b;
        }
      }
      return r.inbuf.length >= n;
    };
    if (!need(HEADER_SIZE)) return undefined;
    const h = decodeHeader(r.inbuf);
    if (h.len > PAYLOAD_MAX) throw new ProtocolError(`d${c.domid} sent a ${h.len}-byte payload (max ${PAYLOAD_MAX})`);
    if (!need(HEADER_SIZE + h.len)) return undefined;
    const payload = r.inbuf.slice(HEADER_SIZE, HEADER_SIZE + h.len);
    r.inbuf = r.inbuf.slice(HEADER_SIZE + h.len);
    return { type: h.type, reqId: h.reqId, txId: h.txId, payload };
  }

  /** Write queued messages to the response ring, keeping what does not fit. */
  private flush(c: XsConnection): boolean {
    const r = c.ring!;
    let wrote = false;
    for (;;) {
      const bytes = r.partialOut ?? (c.out.length ? encode(c.out.shift()!) : undefined);
      if (!bytes) break;
      const n = r.rsp.write(bytes);
      if (n > 0) wrote = true;
      if (n < bytes.length) {
        r.partialOut = bytes.subarray(n);
        break;
      }
      r.partialOut = undefined;
    }
    return wrote;
  }

  // ------------------------------------------------------------------ in-process clients

  /**
   * A request from an in-process connection (dom0's services): the reply message. Watch events
   * for local connections are delivered through `onWatch`.
   */
  request(domid: number, type: number, payload: Uint8Array, txId = 0): XsMessage {
    const c = this.connection(domid);
    const start = c.out.length;
    this.handle(c, { type, reqId: 0, txId, payload });
    // watch events this request fired for its own connection may sit before the reply
    const at = c.out.findIndex((x, i) => i >= start && x.type !== XS.WATCH_EVENT);
    const reply = c.out.splice(at, 1)[0];
    this.deliverLocal();
    return reply;
  }

  /** Watch callbacks of in-process connections, by domid. */
  readonly onWatch = new Map<number, (path: string, token: string) => void>();

  private deliverLocal(): void {
    for (const c of this.conns.values()) {
      if (c.ring) continue;
      const cb = this.onWatch.get(c.domid);
      while (c.out.length) {
        const m = c.out.shift()!;
        if (m.type === XS.WATCH_EVENT && cb) {
          const [p, t] = splitStrings(m.payload);
          cb(p, t);
        }
      }
    }
  }

  // ------------------------------------------------------------------ requests

  private handle(c: XsConnection, m: XsMessage): void {
    this.served.set(c.domid, (this.served.get(c.domid) ?? 0) + 1);
    let reply: Uint8Array;
    let type = m.type;
    try {
      reply = this.dispatch(c, m);
    } catch (e) {
      if (!(e instanceof XsError)) throw e;
      type = XS.ERROR;
      reply = strings(e.errno);
    }
    c.out.push({ type, reqId: m.reqId, txId: m.txId, payload: reply }, ...c.afterReply);
    c.afterReply = [];
  }

  private dispatch(c: XsConnection, m: XsMessage): Uint8Array {
    const args = splitStrings(m.payload);
    switch (m.type) {
      case XS.READ:
      case XS.DIRECTORY:
      case XS.GET_PERMS:
      case XS.WRITE:
      case XS.MKDIR:
      case XS.RM:
      case XS.SET_PERMS:
        return this.treeOp(c, m.type, m.txId, m.payload);
      case XS.WATCH:
        return this.watch(c, args);
      case XS.UNWATCH:
        return this.unwatch(c, args);
      case XS.RESET_WATCHES:
        c.watches = [];
        return strings('OK');
      case XS.TRANSACTION_START:
        if (m.txId !== 0) throw new XsError('EBUSY', 'nested transaction');
        if (c.txns.size >= QUOTA.transactions) throw new XsError('ENOSPC', `d${c.domid} has ${c.txns.size} open transactions`);
        c.txns.set(c.nextTxn, { tree: this.tree.clone(), seen: new Map(), log: [] });
        return strings(String(c.nextTxn++));
      case XS.TRANSACTION_END:
        return this.endTransaction(c, m.txId, args[0]);
      case XS.GET_DOMAIN_PATH:
        return strings(`/local/domain/${domidArg(args[0])}`);
      case XS.INTRODUCE:
        return this.introduce(c, args);
      case XS.RELEASE:
        return this.release(c, args);
      case XS.IS_DOMAIN_INTRODUCED:
        if (!c.privileged) throw new XsError('EACCES', 'only the privileged domain may ask');
        return strings(this.conns.has(domidArg(args[0])) ? 'T' : 'F');
      default:
        throw new XsError('EINVAL', `request type ${m.type} is not served`);
    }
  }

  /** Runs a node operation as `c`, directly or inside transaction txId. */
  exec(c: XsConnection, type: number, txId: number, args: string[], value?: Uint8Array): Uint8Array {
    const parts = value ? [...args] : args;
    const payload = value ? concat(strings(...parts), value) : strings(...parts);
    return this.treeOp(c, type, txId, payload);
  }

  private treeOp(c: XsConnection, type: number, txId: number, payload: Uint8Array): Uint8Array {
    let args: string[];
    let value: Uint8Array | undefined;
    if (type === XS.WRITE) {
      const nul = payload.indexOf(0);
      if (nul < 0) throw new XsError('EINVAL', 'XS_WRITE without a path terminator');
      args = [Buffer.from(payload.subarray(0, nul)).toString('latin1')];
      value = payload.slice(nul + 1);
    } else args = splitStrings(payload);
    if (args.length < 1) throw new XsError('EINVAL', 'missing path');
    const path = this.canonical(c, args[0]);
    let txn: Txn | undefined;
    if (txId !== 0) {
      txn = c.txns.get(txId);
      if (!txn) throw new XsError('ENOENT', `no transaction ${txId}`);
    }
    const ctx: OpCtx = { c, tree: txn ? txn.tree : this.tree, txn, fire: !txn };
    const result = this.nodeOp(ctx, type, path, args.slice(1), value);
    if (txn && (type === XS.WRITE || type === XS.MKDIR || type === XS.RM || type === XS.SET_PERMS)) {
      txn.log.push({ type, args: [path, ...args.slice(1)], value });
    }
    return result;
  }

  private nodeOp(x: OpCtx, type: number, path: string, rest: string[], value?: Uint8Array): Uint8Array {
    const { c, tree } = x;
    switch (type) {
      case XS.READ: {
        const n = this.readable(x, path);
        return n.value.slice();
      }
      case XS.DIRECTORY: {
        const n = this.readable(x, path);
        return strings(...n.children.keys());
      }
      case XS.GET_PERMS:
        return strings(...this.readable(x, path).perms.map(formatPerm));
      case XS.WRITE: {
        if (value!.length > QUOTA.valueSize && !c.privileged) throw new XsError('ENOSPC', `value of ${value!.length} bytes exceeds the ${QUOTA.valueSize}-byte quota`);
        const n = this.create(x, path);
        n.value = value!.slice();
        n.gen = tree.bump();
        this.changed(x, path);
        return strings('OK');
      }
      case XS.MKDIR:
        if (!this.look(x, path)) {
          this.create(x, path);
          this.changed(x, path);
        }
        return strings('OK');
      case XS.RM: {
        if (path === '/') throw new XsError('EINVAL', 'cannot remove /');
        const n = this.look(x, path);
        if (!n) {
          if (this.look(x, parentOf(path))) return strings('OK');
          throw new XsError('ENOENT', `${path} does not exist`);
        }
        if (!access(n.perms, c.domid, c.privileged).write) throw new XsError('EACCES', `d${c.domid} may not remove ${path}`);
        const parent = this.look(x, parentOf(path))!;
        const removed = descendants(path, n);
        parent.children.delete(components(path).pop()!);
        parent.gen = tree.bump();
        if (x.fire) for (const p of removed) this.fireWatches(p, n.perms);
        return strings('OK');
      }
      case XS.SET_PERMS: {
        const n = this.look(x, path) ?? fail('ENOENT', `${path} does not exist`);
        if (!access(n.perms, c.domid, c.privileged).write) throw new XsError('EACCES', `d${c.domid} may not change ${path}'s permissions`);
        if (rest.length === 0) throw new XsError('EINVAL', 'no permissions given');
        const perms = rest.map(parsePerm);
        if (!c.privileged && perms[0].domid !== n.perms[0].domid) throw new XsError('EPERM', `d${c.domid} may not give ${path} to d${perms[0].domid}`);
        n.perms = perms;
        n.gen = tree.bump();
        this.changed(x, path);
        return strings('OK');
      }
      default:
        throw new XsError('EINVAL', `request type ${type}`);
    }
  }

  /** A node by path, noting it as seen by the transaction. */
  private look(x: OpCtx, path: string): XsNode | undefined {
    const n = x.tree.get(path);
    if (x.txn && !x.txn.seen.has(path)) x.txn.seen.set(path, n ? n.gen : -1);
    return n;
  }

  private readable(x: OpCtx, path: string): XsNode {
    const n = this.look(x, path) ?? fail('ENOENT', `${path} does not exist`);
    if (!access(n.perms, x.c.domid, x.c.privileged).read) throw new XsError('EACCES', `d${x.c.domid} may not read ${path}`);
    return n;
  }

  /**
   * The node at `path`, creating it and any missing ancestors. The nearest existing ancestor
   * must be writable; new nodes inherit its permissions, owned by the creating domain unless that
   * is the privileged one (xenstored's construct_node).
   */
  private create(x: OpCtx, path: string): XsNode {
    const { c, tree } = x;
    const existing = this.look(x, path);
    if (existing) {
      if (!access(existing.perms, c.domid, c.privileged).write) throw new XsError('EACCES', `d${c.domid} may not write ${path}`);
      return existing;
    }
    const comps = components(path);
    let n = tree.root;
    let i = 0;
    let at = '';
    for (; i < comps.length; i++) {
      const next = n.children.get(comps[i]);
      if (!next) break;
      n = next;
      at += '/' + comps[i];
      this.look(x, at);
    }
    if (!access(n.perms, c.domid, c.privileged).write) throw new XsError('EACCES', `d${c.domid} may not create under ${at || '/'}`);
    const missing = comps.length - i;
    if (!c.privileged && tree.owned(c.domid) + missing > QUOTA.nodes) throw new XsError('ENOSPC', `d${c.domid} would own more than ${QUOTA.nodes} nodes`);
    const perms: Perm[] = n.perms.map((p) => ({ ...p }));
    if (!c.privileged) perms[0] = { ...perms[0], domid: c.domid };
    for (; i < comps.length; i++) {
      const child: XsNode = { value: new Uint8Array(0), perms: perms.map((p) => ({ ...p })), children: new Map(), gen: tree.bump() };
      at += '/' + comps[i];
      // absent when the transaction began: a node created meanwhile by someone else conflicts
      if (x.txn && !x.txn.seen.has(at)) x.txn.seen.set(at, -1);
      n.children.set(comps[i], child);
      n.gen = tree.bump();
      n = child;
    }
    return n;
  }

  private changed(x: OpCtx, path: string): void {
    if (x.fire) this.fireWatches(path, this.tree.get(path)!.perms);
  }

  /** Queue XS_WATCH_EVENT to every connection watching `path` or an ancestor, if it may read the node. */
  private fireWatches(path: string, perms: readonly Perm[]): void {
    for (const c of this.conns.values()) {
      if (c.broken) continue;
      if (!path.startsWith('@') && !access(perms, c.domid, c.privileged).read) continue;
      for (const w of c.watches) {
        const hit = path.startsWith('@') ? w.path === path : w.path === path || w.path === '/' || path.startsWith(w.path + '/');
        if (!hit) continue;
        const home = `/local/domain/${c.domid}/`;
        const shown = w.relative && path.startsWith(home) ? path.slice(home.length) : path;
        c.out.push({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: strings(shown, w.token) });
      }
    }
  }

  private watch(c: XsConnection, args: string[]): Uint8Array {
    if (args.length < 2) throw new XsError('EINVAL', 'XS_WATCH needs a path and a token');
    const [raw, token] = args;
    const special = raw.startsWith('@');
    if (special && !(SPECIAL_WATCHES as readonly string[]).includes(raw)) throw new XsError('EINVAL', `unknown special watch ${raw}`);
    const path = special ? raw : this.canonical(c, raw);
    if (c.watches.some((w) => w.path === path && w.token === token)) throw new XsError('EEXIST', `watch ${raw} ${token} exists`);
    if (!c.privileged && c.watches.length >= QUOTA.watches) throw new XsError('E2BIG', `d${c.domid} has ${c.watches.length} watches`);
    const w = { path, token, relative: !special && !raw.startsWith('/') };
    c.watches.push(w);
    // xenstored fires every new watch once, straight after the acknowledgement
    c.afterReply.push({ type: XS.WATCH_EVENT, reqId: 0, txId: 0, payload: strings(w.relative ? raw : path, token) });
    return strings('OK');
  }

  private unwatch(c: XsConnection, args: string[]): Uint8Array {
    if (args.length < 2) throw new XsError('EINVAL', 'XS_UNWATCH needs a path and a token');
    const path = args[0].startsWith('@') ? args[0] : this.canonical(c, args[0]);
    const i = c.watches.findIndex((w) => w.path === path && w.token === args[1]);
    if (i < 0) throw new XsError('ENOENT', `no watch ${args[0]} ${args[1]}`);
    c.watches.splice(i, 1);
    return strings('OK');
  }

  private endTransaction(c: XsConnection, txId: number, commit: string | undefined): Uint8Array {
    const t = c.txns.get(txId) ?? fail('ENOENT', `no transaction ${txId}`);
    if (commit !== 'T' && commit !== 'F') throw new XsError('EINVAL', 'XS_TRANSACTION_END takes "T" or "F"');
    c.txns.delete(txId);
    if (commit === 'F') return strings('OK');
    for (const [p, gen] of t.seen) {
      const n = this.tree.get(p);
      if ((n ? n.gen : -1) !== gen) throw new XsError('EAGAIN', `${p} changed during transaction ${txId}`);
    }
    for (const op of t.log) {
      const x: OpCtx = { c, tree: this.tree, fire: true };
      this.nodeOp(x, op.type, op.args[0], op.args.slice(1), op.value);
    }
    return strings('OK');
  }

  private introduce(c: XsConnection, args: string[]): Uint8Array {
    if (!c.privileged) throw new XsError('EACCES', 'only the privileged domain may introduce domains');
    if (args.length < 3) throw new XsError('EINVAL', 'XS_INTRODUCE needs domid, mfn and port');
    const domid = domidArg(args[0]);
    const mfn = Number(args[1]);
    const port = Number(args[2]);
    if (!Number.isInteger(mfn) || !Number.isInteger(port)) throw new XsError('EINVAL', 'bad mfn or port');
    if (!this.conns.has(domid)) {
      const ring = this.env.mapRing(domid, mfn, port) ?? fail('EINVAL', `cannot map d${domid}'s store ring at mfn ${mfn} port ${port}`);
      this.attachRing(domid, ring);
    }
    this.fireWatches('@introduceDomain', []);
    return strings('OK');
  }

  private release(c: XsConnection, args: string[]): Uint8Array {
    if (!c.privileged) throw new XsError('EACCES', 'only the privileged domain may release domains');
    const domid = domidArg(args[0]);
    if (domid === 0 || !this.conns.has(domid)) throw new XsError('ENOENT', `d${domid} is not introduced`);
    this.conns.delete(domid);
    this.fireWatches('@releaseDomain', []);
    return strings('OK');
  }

  /** A request's path made absolute and checked (xenstored's canonicalize and is_valid_nodename). */
  canonical(c: XsConnection, raw: string): string {
    const rel = !raw.startsWith('/');
    if (rel && raw.length > IO_CONST.XENSTORE_REL_PATH_MAX) throw new XsError('EINVAL', 'relative path too long');
    const abs = rel ? `/local/domain/${c.domid}/${raw}` : raw;
    if (abs.length > IO_CONST.XENSTORE_ABS_PATH_MAX) throw new XsError('EINVAL', 'path too long');
    if (abs !== '/' && (abs.endsWith('/') || abs.includes('//') || !/^[A-Za-z0-9\-/_@]+$/.test(abs))) throw new XsError('EINVAL', `invalid path "${raw}"`);
    return abs;
  }
}

interface OpCtx {
  c: XsConnection;
  tree: XsTree;
  txn?: Txn;
  /** fire watches (not inside a transaction: those fire at commit) */
  fire: boolean;
}

class ProtocolError extends Error {}

function newConn(domid: number, privileged: boolean): XsConnection {
  return { domid, privileged, watches: [], txns: new Map(), nextTxn: 1, out: [], afterReply: [] };
}

function fail(errno: XsError['errno'], msg: string): never {
  throw new XsError(errno, msg);
}

function domidArg(s: string | undefined): number {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isInteger(n) || n < 0 || n > 0x7fef) throw new XsError('EINVAL', `bad domid "${s}"`);
  return n;
}

function descendants(path: string, n: XsNode): string[] {
  const out = [path];
  for (const [k, v] of n.children) out.push(...descendants(`${path}/${k}`, v));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
