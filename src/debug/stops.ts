/**
 * Breakpoints that are not addresses: hypercalls by name, VM exits by reason and the exception
 * filters (ring transitions, event delivery, guest faults, domain crash). Each is a predicate
 * over trace records, with a condition, a hit count and a log message like every breakpoint.
 *
 * Function breakpoint names:
 *   hypercall:event_channel_op   one hypercall by Xen's name (`hypercall:*` for any)
 *   vmexit:IO_INSTRUCTION        one VM exit reason (EXIT_REASON_ prefix optional; `vmexit:*`)
 *   anything else                a guest symbol (an instruction breakpoint at its address)
 *
 * Names a condition can use, besides registers, Xen constants and guest symbols:
 *   all records      domid, vcpu, pcpu
 *   hypercall        nr, each argument by its Xen name (cmd, count, port …) and each member of
 *                    the argument structure (port, remote_dom …); ebx…edi are the raw arguments
 *   ring             from, to, fromEip, toEip
 *   vmexit           reason (compare with IO_INSTRUCTION …), qualification, rip, and for I/O
 *                    exits port, size, in
 *   event            port, upcall
 *   fault            vector, errorCode, cr2, eip, ring
 */
import type { CpuState } from '../cpu/state';
import type { TraceKind, TraceRecord } from '../trace/records';
import { ioreqText } from '../trace/format';
import type { Inspectable } from '../xen/inspect';
import { decodeHypercall, hypercallByName, HYPERCALLS } from '../xen/abi';
import { emptyCpuState } from '../cpu/state';
import { Compiled, compile, ExprEnv, ExprError, Operand } from './expr';
import { registerValue, xenConstant } from './names';
import { EXIT_REASONS, exitReasonNumber, ioExit } from './vmexit';

export class BreakpointError extends Error {}

export type FunctionTarget =
  | { kind: 'hypercall'; nr?: number; name: string }
  | { kind: 'vmexit'; reason?: number; name: string }
  | { kind: 'symbol'; name: string };

/** Reads a function breakpoint's name; throws BreakpointError saying what is wrong. */
export function parseFunctionTarget(text: string): FunctionTarget {
  const t = text.trim();
  const m = /^(hypercall|vmexit)\s*:\s*(.*)$/i.exec(t);
  if (!m) {
    if (!/^[A-Za-z_.$?@][A-Za-z0-9_.$?@]*$/.test(t)) throw new BreakpointError(`'${text}' is not a symbol, hypercall:<name> or vmexit:<REASON>`);
    return { kind: 'symbol', name: t };
  }
  const what = m[2].trim();
  if (m[1].toLowerCase() === 'hypercall') {
    if (what === '*' || what === '') return { kind: 'hypercall', name: '*' };
    const name = what.replace(/^__HYPERVISOR_/, '');
    const spec = hypercallByName(name);
    if (!spec) throw new BreakpointError(`'${what}' is not a Xen hypercall (${nearest(name, [...HYPERCALLS.values()].map((s) => s.name))})`);
    return { kind: 'hypercall', nr: spec.nr, name: spec.name };
  }
  if (what === '*' || what === '') return { kind: 'vmexit', name: '*' };
  const reason = exitReasonNumber(what);
  if (reason === undefined) throw new BreakpointError(`'${what}' is not a VM exit reason (${nearest(what.toUpperCase().replace(/^EXIT_REASON_/, ''), Object.keys(EXIT_REASONS))})`);
  return { kind: 'vmexit', reason, name: what.toUpperCase().replace(/^EXIT_REASON_/, '') };
}

function nearest(word: string, names: string[]): string {
  const close = names.filter((n) => n.includes(word) || word.includes(n) || n.slice(0, 4) === word.slice(0, 4)).slice(0, 4);
  return close.length ? `did you mean ${close.join(', ')}?` : `e.g. ${names.slice(0, 3).join(', ')}`;
}

/** The exception filters the adapter offers (DAP exceptionBreakpointFilters). */
export const EXCEPTION_FILTERS = [
  { filter: 'hypercall', label: 'Hypercalls', description: 'Stop at every hypercall entry', conditionDescription: 'e.g. nr == __HYPERVISOR_console_io && domid == 1' },
  { filter: 'ring', label: 'Ring transitions', description: 'Stop when a vCPU changes privilege ring', conditionDescription: 'e.g. from == 3 && to == 1' },
  { filter: 'vmexit', label: 'VM exits', description: 'Stop at every VM exit of an HVM vCPU', conditionDescription: 'e.g. reason == IO_INSTRUCTION && port == 0x3f8' },
  { filter: 'event', label: 'Event delivery', description: 'Stop when Xen delivers an event channel notification', conditionDescription: 'e.g. port == 3' },
  { filter: 'fault', label: 'Guest faults', description: 'Stop when a guest raises an exception', conditionDescription: 'e.g. vector == 14' },
  { filter: 'crash', label: 'Domain crash', description: 'Stop when a domain crashes', default: true, conditionDescription: 'e.g. domid == 2' },
] as const;

export type FilterId = (typeof EXCEPTION_FILTERS)[number]['filter'];

/** Which filter a record belongs to, if any. */
export function filterOf(r: TraceRecord): FilterId | undefined {
  switch (r.kind) {
    case 'hypercall-entry':
      return 'hypercall';
    case 'ring-transition':
      return 'ring';
    case 'vm-exit':
      return 'vmexit';
    case 'event-deliver':
      return 'event';
    case 'fault':
      return 'fault';
    case 'domain':
      return r.event === 'crashed' ? 'crash' : undefined;
    default:
      return undefined;
  }
}

/**
 * The records a record stop can match: one kind and, optionally, one value of one of the
 * record's fields (a hypercall's nr, an exit reason, a fault vector …). The run control
 * indexes stops by it, so a record is offered only to the stops that may want it.
 */
export interface RecordKey {
  kind: TraceKind;
  field?: IndexedField;
  value?: number;
}

/**
 * Fields a key may select on, per kind: each is a property of the record that a condition
 * reads as itself (recordName answers it from the record, always defined, never shadowed).
 */
const INDEXED = {
  'hypercall-entry': ['nr'],
  'ring-transition': ['from', 'to', 'domid', 'vcpu'],
  'vm-exit': ['reason', 'domid', 'vcpu'],
  'event-deliver': ['port', 'domid', 'vcpu'],
  fault: ['vector', 'domid', 'vcpu'],
  domain: ['domid'],
} as const;
export type IndexedField = (typeof INDEXED)[keyof typeof INDEXED][number];

/** Every name recordName may answer for a kind (a name here is no constant in a condition). */
const RECORD_NAMES: Partial<Record<TraceKind, readonly string[]>> = {
  'hypercall-entry': ['nr'],
  'ring-transition': ['from', 'to', 'fromEip', 'toEip'],
  'vm-exit': ['reason', 'rip', 'qualification', 'port', 'size', 'in'],
  'event-deliver': ['port', 'upcall'],
  'event-send': ['port', 'remoteDomid', 'remotePort'],
  fault: ['vector', 'eip', 'ring', 'errorCode', 'cr2'],
};

const NO_REGISTERS = emptyCpuState();

/** The value a condition's name or number has on every record of `kind`, if that is fixed. */
function constantIn(kind: TraceKind, op: Operand): number | undefined {
  if ('value' in op) return op.value;
  const name = op.name;
  if (['domid', 'vcpu', 'pcpu'].includes(name) || RECORD_NAMES[kind]?.includes(name)) return undefined;
  if (kind === 'vm-exit') {
    const reason = exitReasonNumber(name);
    if (reason !== undefined) return reason;
  }
  if (registerValue(NO_REGISTERS, name) !== undefined) return undefined;
  // A hypercall's argument and structure member names are lowercase; Xen's constants are not.
  if (kind === 'hypercall-entry' && !/[A-Z]/.test(name)) return undefined;
  return xenConstant(name);
}

/**
 * `key` narrowed by the condition's first test when that is `field == constant` on a field the
 * kind indexes: on other records the condition is false before anything else is evaluated, so
 * not offering them the stop changes nothing but the cost.
 */
export function narrowKey(key: RecordKey, condition: Compiled | undefined): RecordKey {
  const eq = condition?.leadingEquality;
  const fields: readonly string[] | undefined = (INDEXED as Partial<Record<TraceKind, readonly string[]>>)[key.kind];
  if (key.field !== undefined || !eq || !fields) return key;
  for (const [x, y] of [eq, [eq[1], eq[0]] as const]) {
    if (!('name' in x) || !fields.includes(x.name)) continue;
    const value = constantIn(key.kind, y);
    if (value !== undefined) return { kind: key.kind, field: x.name as IndexedField, value };
  }
  return key;
}

/** The record kind each exception filter stops on. */
export const FILTER_KIND: Readonly<Record<FilterId, TraceKind>> = {
  hypercall: 'hypercall-entry',
  ring: 'ring-transition',
  vmexit: 'vm-exit',
  event: 'event-deliver',
  fault: 'fault',
  crash: 'domain',
};

/** A record's value of an indexed field, as a condition compares it (unsigned). */
export function fieldValue(r: TraceRecord, field: IndexedField): number | undefined {
  const v = (r as unknown as Record<string, unknown>)[field];
  return typeof v === 'number' ? v >>> 0 : undefined;
}

/** What the adapter reads from the simulator while deciding on a record (lazily: most records are not stops). */
export interface StopContext {
  cpu(domid: number, vcpu: number): CpuState | undefined;
  readBytes(domid: number, vcpu: number, address: number, length: number): Uint8Array | undefined;
  symbol(domid: number, name: string): number | undefined;
}

/** The context over a live machine; a vCPU that cannot be read gives undefined, not an exception. */
export function inspectableContext(ins: Inspectable): StopContext {
  return {
    cpu: (d, v) => {
      try {
        return ins.cpuState(d, v);
      } catch {
        return undefined;
      }
    },
    readBytes: (d, v, a, n) => {
      const raw = ins.readMemory(d, 'gva', a, n, v);
      return raw.every((b) => b !== undefined) ? Uint8Array.from(raw as number[]) : undefined;
    },
    symbol: (d, name) => ins.image(d)?.symbolAddress(name),
  };
}

function num(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v & 0xffffffffn) : v >>> 0;
}

/**
 * A record's own names (see the header comment), looked up by a switch rather than built as an
 * object: exception filters evaluate their condition on every record of their kind, so this
 * is on the hot path of a run with such a filter armed.
 */
function recordName(r: TraceRecord, name: string, env: VcpuEnv): number | undefined {
  // A hypercall's argument names come first: update_va_mapping_otherdomain and dm_op have a `domid`.
  if (r.kind === 'hypercall-entry') for (const a of r.args) if (a.name === name) return num(a.value);
  switch (name) {
    case 'domid':
      return r.domid;
    case 'vcpu':
      return r.vcpu;
    case 'pcpu':
      return r.pcpu;
  }
  switch (r.kind) {
    case 'hypercall-entry': {
      if (name === 'nr') return r.nr;
      // Structure members need the guest's memory: decode again only when a name is not an argument.
      return env.hypercallFields(r)[name];
    }
    case 'ring-transition':
      if (name === 'from') return r.from;
      if (name === 'to') return r.to;
      if (name === 'fromEip') return r.fromEip;
      if (name === 'toEip') return r.toEip;
      return undefined;
    case 'vm-exit':
      if (name === 'reason') return r.reason;
      if (name === 'rip') return r.rip;
      if (r.qualification !== undefined) {
        if (name === 'qualification') return r.qualification;
        if (r.reason === EXIT_REASONS.IO_INSTRUCTION && (name === 'port' || name === 'size' || name === 'in')) return ioExit(r.qualification)[name];
      }
      return exitReasonNumber(name);
    case 'event-deliver':
      if (name === 'port') return r.port;
      if (name === 'upcall') return r.upcall ? 1 : 0;
      return undefined;
    case 'event-send':
      if (name === 'port') return r.port;
      if (name === 'remoteDomid') return r.remoteDomid;
      if (name === 'remotePort') return r.remotePort;
      return undefined;
    case 'fault':
      if (name === 'vector') return r.vector;
      if (name === 'eip') return r.eip;
      if (name === 'ring') return r.ring;
      if (name === 'errorCode') return r.errorCode;
      if (name === 'cr2') return r.cr2;
      return undefined;
    default:
      return undefined;
  }
}

/** Memory and registers of one vCPU, read only when a name needs them; a record's names first. */
class VcpuEnv implements ExprEnv {
  private state: CpuState | undefined | null = null;
  private fields: Record<string, number> | undefined;

  constructor(
    private readonly ctx: StopContext,
    private readonly domid: number,
    private readonly vcpu: number,
    private readonly record?: TraceRecord,
    private readonly extra?: (name: string) => number | undefined,
  ) {}

  lookup(name: string): number | undefined {
    const e = this.record ? recordName(this.record, name, this) : this.extra?.(name);
    if (e !== undefined) return e;
    if (this.state === null) this.state = this.ctx.cpu(this.domid, this.vcpu);
    const r = this.state ? registerValue(this.state, name) : undefined;
    if (r !== undefined) return r;
    return xenConstant(name) ?? this.ctx.symbol(this.domid, name);
  }

  read(address: number, size: 1 | 2 | 4): number | undefined {
    const b = this.ctx.readBytes(this.domid, this.vcpu, address, size);
    if (!b || b.length < size) return undefined;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + b[i];
    return v;
  }

  /** The members of a hypercall's argument structure, decoded from guest memory once. */
  hypercallFields(r: TraceRecord & { kind: 'hypercall-entry' }): Record<string, number> {
    if (this.fields) return this.fields;
    this.fields = {};
    const s = this.ctx.cpu(r.domid, r.vcpu);
    if (s) {
      const regs = [s.r[3], s.r[1], s.r[2], s.r[6], s.r[7]];
      const d = decodeHypercall(r.nr, regs, (gva, size) => this.ctx.readBytes(r.domid, r.vcpu, gva, size));
      for (const f of d.fields ?? []) this.fields[f.name] = num(f.value);
    }
    return this.fields;
  }
}

/** Memory and registers of one vCPU as an expression environment (no record names). */
export function vcpuEnv(ctx: StopContext, domid: number, vcpu: number, extra?: (name: string) => number | undefined): ExprEnv {
  return new VcpuEnv(ctx, domid, vcpu, undefined, extra);
}

/** The environment a condition on `record` is evaluated in. */
export function recordEnv(r: TraceRecord, ctx: StopContext): ExprEnv {
  return new VcpuEnv(ctx, r.domid, r.vcpu, r);
}

/** `5` or `>= 5` (from the fifth hit on), `> 5`, `== 5`, `% 5` (every fifth). */
export type HitCondition = (hits: number) => boolean;

export function parseHitCondition(text: string): HitCondition {
  const m = /^\s*(>=|>|==|=|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) throw new BreakpointError(`hit count '${text}' is not N, >= N, > N, == N or % N`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return (h) => h > n;
    case '==':
    case '=':
      return (h) => h === n;
    case '%':
      if (n === 0) throw new BreakpointError('hit count % 0 never matches');
      return (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

export type Decision = Readonly<{ action: 'stop' | 'log' | 'skip'; text?: string; error?: string }>;
// The common answers, shared: a false condition on every record of a kind allocates nothing.
const SKIP: Decision = { action: 'skip' };
const STOP: Decision = { action: 'stop' };

/** What every kind of breakpoint carries besides its location. */
export class StopRule {
  hits = 0;
  readonly condition?: Compiled;
  readonly hitCondition?: HitCondition;
  private readonly logParts?: Array<string | Compiled>;

  /** Throws BreakpointError (for the breakpoint's message) when a part does not parse. */
  constructor(opts: { condition?: string; hitCondition?: string; logMessage?: string }) {
    try {
      if (opts.condition && opts.condition.trim()) this.condition = compile(opts.condition);
    } catch (e) {
      throw new BreakpointError(`condition: ${(e as Error).message}`);
    }
    if (opts.hitCondition && opts.hitCondition.trim()) this.hitCondition = parseHitCondition(opts.hitCondition);
    if (opts.logMessage !== undefined) this.logParts = parseLogMessage(opts.logMessage);
  }

  /**
   * Decides one hit. Returns 'stop', 'log' (with text: a logpoint prints and runs on) or
   * 'skip'. A condition that cannot be evaluated stops, with the reason as `error`, so a
   * typo is seen rather than silently never matching.
   */
  decide(env: ExprEnv): Decision {
    const holds = this.holds(env);
    if (holds === false) return SKIP;
    if (typeof holds === 'string') return { action: 'stop', error: holds };
    this.hits++;
    if (this.hitCondition && !this.hitCondition(this.hits)) return SKIP;
    if (this.logParts) return { action: 'log', text: formatLog(this.logParts, env) };
    return STOP;
  }

  /** The condition alone, hits not counted: true, false, or why it could not be evaluated. */
  holds(env: ExprEnv): boolean | string {
    if (!this.condition) return true;
    try {
      return this.condition.evaluate(env) !== 0;
    } catch (e) {
      return `condition '${this.condition.text}': ${(e as Error).message}`;
    }
  }

  /** Whether the `n`th hit (the condition held n times) stops: the hit count allows it and this is no log point. */
  stopsAt(n: number): boolean {
    return !this.logParts && (!this.hitCondition || this.hitCondition(n));
  }

  /** A log point prints and runs on. */
  get logs(): boolean {
    return this.logParts !== undefined;
  }
}

/** `port {ebx} value {[esp+4]}` → literal text and expressions; `{{` is a brace. */
function parseLogMessage(msg: string): Array<string | Compiled> {
  const parts: Array<string | Compiled> = [];
  let text = '';
  for (let i = 0; i < msg.length; i++) {
    const c = msg[i];
    if ((c === '{' || c === '}') && msg[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = msg.indexOf('}', i);
      if (end < 0) throw new BreakpointError(`log message: '{' at column ${i + 1} is not closed`);
      if (text) parts.push(text);
      text = '';
      try {
        parts.push(compile(msg.slice(i + 1, end)));
      } catch (e) {
        throw new BreakpointError(`log message: {${msg.slice(i + 1, end)}}: ${(e as Error).message}`);
      }
      i = end;
    } else text += c;
  }
  if (text) parts.push(text);
  return parts;
}

function formatLog(parts: Array<string | Compiled>, env: ExprEnv): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      try {
        return `0x${p.evaluate(env).toString(16)}`;
      } catch (e) {
        return `<${e instanceof ExprError ? e.message : String(e)}>`;
      }
    })
    .join('');
}

/** A hypercall or VM exit breakpoint, or an exception filter, armed over trace records. */
export interface RecordBreakpoint {
  id: number;
  /** what the stopped event calls it: `hypercall:event_channel_op` */
  label: string;
  matches(r: TraceRecord): boolean;
  rule: StopRule;
}

export function functionTargetMatcher(t: Exclude<FunctionTarget, { kind: 'symbol' }>): (r: TraceRecord) => boolean {
  if (t.kind === 'hypercall') return t.nr === undefined ? (r) => r.kind === 'hypercall-entry' : (r) => r.kind === 'hypercall-entry' && r.nr === t.nr;
  return t.reason === undefined ? (r) => r.kind === 'vm-exit' : (r) => r.kind === 'vm-exit' && r.reason === t.reason;
}

export function functionTargetKey(t: Exclude<FunctionTarget, { kind: 'symbol' }>): RecordKey {
  if (t.kind === 'hypercall') return t.nr === undefined ? { kind: 'hypercall-entry' } : { kind: 'hypercall-entry', field: 'nr', value: t.nr };
  return t.reason === undefined ? { kind: 'vm-exit' } : { kind: 'vm-exit', field: 'reason', value: t.reason };
}

/** One line saying what a record is, for stopped events and exceptionInfo. */
export function describeRecord(r: TraceRecord): string {
  switch (r.kind) {
    case 'hypercall-entry':
      return `hypercall ${r.text}`;
    case 'hypercall-exit':
      return `hypercall ${r.name} returned ${r.resultText}`;
    case 'ring-transition':
      return `ring ${r.from} → ${r.to} (${r.cause})`;
    case 'vm-exit':
      return `VM exit ${r.reasonName.replace(/^EXIT_REASON_/, '')} at 0x${(r.rip >>> 0).toString(16)}${r.qualification !== undefined ? ` (qualification 0x${r.qualification.toString(16)})` : ''}`;
    case 'event-deliver':
      return `event delivery on port ${r.port}${r.virq ? ` (${r.virq})` : ''}`;
    case 'event-send':
      return `event send on port ${r.port} to d${r.remoteDomid} port ${r.remotePort}`;
    case 'fault':
      return `guest fault ${r.name} at 0x${(r.eip >>> 0).toString(16)} in ring ${r.ring}${r.errorCode !== undefined ? `, error code 0x${r.errorCode.toString(16)}` : ''}${r.cr2 !== undefined ? `, cr2 0x${(r.cr2 >>> 0).toString(16)}` : ''}`;
    case 'domain':
      return `domain ${r.name} ${r.event}${r.reason ? ` (${r.reason})` : ''}`;
    case 'trap-bounce':
      return `trap bounce of vector ${r.vector} to 0x${(r.eip >>> 0).toString(16)}`;
    case 'schedule':
      return `schedule d${r.domid} vcpu${r.vcpu} (${r.reason})`;
    case 'vm-entry':
      return `VM entry at 0x${(r.rip >>> 0).toString(16)}`;
    case 'ioreq':
      return ioreqText(r);
    case 'console':
      return `console ${JSON.stringify(r.text)}`;
  }
}
