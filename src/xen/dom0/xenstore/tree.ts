/**
 * The xenstore tree as xenstored keeps it: nodes with a value, children and permissions, and a
 * generation number that moves whenever the node (or its list of children) changes, which is
 * what transactions compare to detect conflicts.
 *
 * Permissions are xenstored's: the first entry names the owner and the access everyone else
 * gets by default; later entries give specific domains read ('r'), write ('w'), both ('b') or
 * none ('n'). The owner and the privileged domain (dom0) may always read and write.
 */

export type PermLetter = 'n' | 'r' | 'w' | 'b';

export interface Perm {
  perm: PermLetter;
  domid: number;
}

export interface XsNode {
  value: Uint8Array;
  perms: Perm[];
  children: Map<string, XsNode>;
  gen: number;
}

/** A refusal with the errno name xenstored sends (one of xs_wire.h's xsd_errors). */
export class XsError extends Error {
  constructor(
    readonly errno: 'EINVAL' | 'EACCES' | 'EEXIST' | 'EISDIR' | 'ENOENT' | 'ENOMEM' | 'ENOSPC' | 'EIO' | 'ENOTEMPTY' | 'ENOSYS' | 'EROFS' | 'EBUSY' | 'EAGAIN' | 'EISCONN' | 'E2BIG' | 'EPERM',
    message: string,
  ) {
    super(message);
  }
}

export function parsePerm(text: string): Perm {
  const m = /^([nrwb])(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 0xffff) throw new XsError('EINVAL', `bad permission "${text}"`);
  return { perm: m[1] as PermLetter, domid: Number(m[2]) };
}

export function formatPerm(p: Perm): string {
  return `${p.perm}${p.domid}`;
}

/** What domain `domid` may do with a node of these permissions (xenstored perm_for_conn). */
export function access(perms: readonly Perm[], domid: number, privileged: boolean): { read: boolean; write: boolean } {
  if (privileged || perms[0].domid === domid) return { read: true, write: true };
  const p = perms.slice(1).find((x) => x.domid === domid)?.perm ?? perms[0].perm;
  return { read: p === 'r' || p === 'b', write: p === 'w' || p === 'b' };
}

/** Path components of an absolute, already validated path ("/" has none). */
export function components(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class XsTree {
  root: XsNode;
  /** the generation the next change gets */
  private nextGen = 1;
  /**
   * The state last saved or restored, while the tree still equals it: every change bumps the
   * generation, so an unchanged generation means an unchanged tree, and a snapshot shares the
   * previous copy instead of copying the whole tree again (saved states are never written).
   */
  private saved: XsTreeState | undefined;

  constructor(root?: XsNode) {
    this.root = root ?? { value: new Uint8Array(0), perms: [{ perm: 'n', domid: 0 }], children: new Map(), gen: 0 };
  }

  bump(): number {
    return this.nextGen++;
  }

  get generation(): number {
    return this.nextGen;
  }

  get(path: string): XsNode | undefined {
    let n: XsNode | undefined = this.root;
    for (const c of components(path)) {
      n = n.children.get(c);
      if (!n) return undefined;
    }
    return n;
  }

  /** Number of nodes owned by `domid` (its quota use). */
  owned(domid: number): number {
    let count = 0;
    const walk = (n: XsNode) => {
      if (n.perms[0].domid === domid) count++;
      for (const c of n.children.values()) walk(c);
    };
    walk(this.root);
    return count;
  }

  /** A deep copy sharing nothing (a transaction's private view). */
  clone(): XsTree {
    const copy = (n: XsNode): XsNode => ({ value: n.value, perms: n.perms.map((p) => ({ ...p })), gen: n.gen, children: new Map([...n.children].map(([k, v]) => [k, copy(v)])) });
    const t = new XsTree(copy(this.root));
    t.nextGen = this.nextGen;
    return t;
  }

  /** Plain data for a machine snapshot. */
  saveState(): XsTreeState {
    if (this.saved?.nextGen !== this.nextGen) this.saved = { root: this.clone().root, nextGen: this.nextGen };
    return this.saved;
  }

  /** In place: the store keeps its tree object. */
  restoreState(s: XsTreeState): void {
    const t = new XsTree(s.root).clone();
    this.root = t.root;
    this.nextGen = s.nextGen;
    this.saved = s;
  }
}

export interface XsTreeState {
  readonly root: XsNode;
  readonly nextGen: number;
}
