/**
 * The DAP session: translates between the Debug Adapter Protocol and the simulator, which it
 * reads only through Inspectable and the trace stream (vscode-mock-debug's mockDebug.ts is
 * the model; the simulator plays its mockRuntime). Usable in process (wrap an instance in
 * vscode.DebugAdapterInlineImplementation), over stdio (standalone.ts) and over TCP (server.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  Breakpoint,
  BreakpointEvent,
  Handles,
  InitializedEvent,
  InvalidatedEvent,
  LoadedSourceEvent,
  LoggingDebugSession,
  MemoryEvent,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  ThreadEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { CLASS_BIT, CLASS_OF, TraceClass, TraceRecord } from '../trace/records';
import { jsonLinesWriter } from '../trace/jsonl';
import type { Inspectable, XenStateNode } from '../xen/inspect';
import { AddressBreakpoint, DataBreakpoint, RecordStop, RunControl, Stopped, ThreadRef } from './control';
import { addressReference, DataAccess, DATA_ACCESS_TYPES, dataInfo, DataRange, DEBUG_REGISTERS, describeRange, memoryOperand, parseDataId, registersFor } from './data';
import { disassembleAround } from './disassembly';
import { DOMAINS_REQUEST, domainsBody } from './domains';
import { compile, ExprEnv } from './expr';
import { LaunchConfig, LaunchError, parseLaunchArguments } from './launch';
import { MachineFactory, unavailableMachine } from './machine';
import { formatMemoryReference, parseMemoryReference } from './memref';
import { EFLAGS_BITS, GPR32, registerValue, SEGMENT_NAMES } from './names';
import { replCommand, REPL_COMMANDS } from './repl';
import { vmExitRows, vmExitSummary } from './vmexit';
import { guestFrames, MAX_FRAMES } from './stack';
import { ReverseDebugger, reverseStop, TRAVEL_REQUEST } from './reverse';
import { TIMELINE_REQUEST, TimelineArguments, TimelineRecorder } from './timeline';
import { exitCountRows, lastExitRows, lastExitSummary, VmExitRecorder } from './lastexit';
import { TimeTravel } from '../xen/timetravel/engine';
import { BreakpointError, EXCEPTION_FILTERS, FILTER_KIND, FilterId, filterOf, functionTargetKey, functionTargetMatcher, inspectableContext, narrowKey, parseFunctionTarget, StopRule, vcpuEnv } from './stops';
import { applyEdit, editedValue, registerRows, Row, segmentRows, systemRows } from './variables';

/** DAP thread ids: readable in logs (d1 vcpu0 is 1001) and stable while a domain lives. */
export function threadIdOf(t: ThreadRef): number {
  return t.domid * 1000 + t.vcpu + 1;
}
export function threadOfId(id: number): ThreadRef {
  return { domid: Math.floor((id - 1) / 1000), vcpu: (id - 1) % 1000 };
}

interface FrameRef extends ThreadRef {
  pc: number;
  xen: boolean;
  /** a caller's frame: its esp/ebp unwound from the chain (other registers are the live ones) */
  unwound?: { esp: number; ebp: number };
}

interface VarSource {
  rows: Row[];
  thread: ThreadRef;
}

interface SourceBp {
  id: number;
  file: string;
  line: number;
  rule?: StopRule;
  message?: string;
  resolvedLine?: number;
  addresses: Array<{ domid: number; eip: number }>;
}

interface FunctionBp {
  id: number;
  name: string;
  rule?: StopRule;
  message?: string;
  symbol?: string;
  addresses: Array<{ domid: number; eip: number }>;
  record?: RecordStop;
}

interface InstructionBp {
  id: number;
  domid: number;
  eip: number;
  rule?: StopRule;
  message?: string;
}

interface DataBp {
  id: number;
  dataId: string;
  range?: DataRange;
  access: DataAccess;
  rule?: StopRule;
  message?: string;
}

/** A breakpoint as setXBreakpoints answers it: unverified with its message, or verified and completed by `ok`. */
function answerFor(bp: { id: number; message?: string }, ok: (b: DebugProtocol.Breakpoint) => unknown): DebugProtocol.Breakpoint {
  const b = new Breakpoint(!bp.message) as DebugProtocol.Breakpoint;
  b.id = bp.id;
  if (bp.message) b.message = bp.message;
  else ok(b);
  return b;
}

function readOnlyRows(rows: Row[]): Row[] {
  return rows.map((r) => ({ ...r, edit: undefined, readOnly: true, children: r.children && readOnlyRows(r.children) }));
}

const COMPLETION_REGISTERS = [...GPR32, 'eip', 'eflags', 'cpl', ...SEGMENT_NAMES, 'cr0', 'cr2', 'cr3', 'cr4', ...EFLAGS_BITS.map((f) => f.name.toLowerCase())];

/** How far back a console ring line is matched against console_io lines. */
const CONSOLE_ECHO_LINES = 64;

/** How long launch waits for configurationDone before running anyway. */
const CONFIGURATION_WAIT_MS = 3000;

/** The DAP errors the adapter answers with (ids make them recognisable in logs and tests). */
const ERR = { launch: 1001, notRunning: 1002, bad: 1003, busy: 1004, internal: 1099 } as const;

class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SessionOptions {
  /** builds the simulated system (the hypervisor's factory) */
  machine?: MachineFactory;
  /** resolves relative launch paths when the launch gives no cwd */
  cwd?: string;
}

export class XenDebugSession extends LoggingDebugSession {
  private readonly factory: MachineFactory;
  private readonly defaultCwd: string;
  private ins: Inspectable | undefined;
  private reverse: ReverseDebugger | undefined;
  private timeline: TimelineRecorder | undefined;
  private exits: VmExitRecorder | undefined;
  private control: RunControl | undefined;
  private launchConfig: LaunchConfig | undefined;
  private unsubscribe: Array<() => void> = [];
  private traceFd: number | undefined;
  private configurationDone!: Promise<void>;
  private configured: () => void = () => {};
  private frames = new Handles<FrameRef>();
  private vars = new Handles<VarSource>();
  private knownThreads = new Set<number>();
  private nextId = 1;
  private sourceBps = new Map<string, SourceBp[]>();
  private functionBps: FunctionBp[] = [];
  private instructionBps: InstructionBp[] = [];
  private dataBps: DataBp[] = [];
  private filters = new Map<FilterId, StopRule>();
  private sourceRefs = new Handles<string>();

  constructor(options: SessionOptions = {}) {
    super();
    this.factory = options.machine ?? unavailableMachine;
    this.defaultCwd = options.cwd ?? process.cwd();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.resetConfigurationDone();
    this.filters.set('crash', new StopRule({}));
  }

  private resetConfigurationDone(): void {
    this.configurationDone = new Promise((resolve) => (this.configured = resolve));
  }

  // ---- plumbing: every request answers, whatever goes wrong ------------------------------

  protected dispatchRequest(request: DebugProtocol.Request): void {
    // Clients leave out empty arguments; handlers then see {} and name what is missing.
    if (request.arguments === undefined || request.arguments === null || typeof request.arguments !== 'object') request.arguments = {};
    try {
      super.dispatchRequest(request);
    } catch (e) {
      this.fail(
        { seq: 0, type: 'response', request_seq: request.seq, command: request.command, success: false } as DebugProtocol.Response,
        e,
      );
    }
  }

  private fail(response: DebugProtocol.Response, e: unknown): void {
    const code = e instanceof RequestError ? e.code : e instanceof LaunchError ? ERR.launch : e instanceof BreakpointError ? ERR.bad : ERR.internal;
    const message = e instanceof Error ? e.message : String(e);
    this.sendErrorResponse(response, { id: code, format: message.replace(/\{/g, '(').replace(/\}/g, ')'), showUser: true });
  }

  /** Runs a handler; a thrown error becomes the request's error response. */
  private answer<R extends DebugProtocol.Response>(response: R, body: () => R['body'] | Promise<R['body']>): void {
    Promise.resolve()
      .then(body)
      .then(
        (b) => {
          if (b !== undefined) response.body = b;
          this.sendResponse(response);
        },
        (e) => this.fail(response, e),
      );
  }

  /**
   * Runs the machine after the current response is sent. A simulator error is reported and
   * shown as a stop (the state is there to inspect), never an unhandled rejection.
   */
  private background(work: (c: RunControl) => Promise<void>): void {
    const c = this.control;
    if (!c) return;
    // Busy from now: a second continue or step before this one starts is refused, a pause counts.
    c.beginRun();
    setImmediate(() => {
      if (this.control !== c) return;
      work(c)
        .finally(() => (c.running = false))
        .catch((e) => {
          this.sendEvent(new OutputEvent(`xensim: simulator error: ${(e as Error)?.stack ?? e}\n`, 'stderr'));
          const t = c.lastStop ?? { domid: 0, vcpu: 0 };
          this.onStopped({ reason: 'exception', domid: t.domid, vcpu: t.vcpu, description: `simulator error: ${(e as Error)?.message ?? e}` });
        });
    });
  }

  private machine(): Inspectable {
    if (!this.ins) throw new RequestError(ERR.notRunning, 'no simulation is running (launch first)');
    return this.ins;
  }

  private stoppedControl(): RunControl {
    this.machine();
    if (!this.control) throw new RequestError(ERR.notRunning, 'no simulation is running');
    if (this.control.running) throw new RequestError(ERR.busy, 'the machine is running; pause it first');
    return this.control;
  }

  private threadOf(threadId: unknown): ThreadRef {
    if (typeof threadId !== 'number' || !Number.isInteger(threadId) || threadId < 1) throw new RequestError(ERR.bad, `threadId ${JSON.stringify(threadId)} is not a thread`);
    const t = threadOfId(threadId);
    const d = this.machine().domains().find((x) => x.id === t.domid);
    if (!d || t.vcpu >= d.vcpus) throw new RequestError(ERR.bad, `thread ${threadId} does not exist (d${t.domid} vcpu${t.vcpu})`);
    return t;
  }

  // ---- initialize, launch, restart, disconnect ----------------------------------------

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsExceptionFilterOptions: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ ...f, supportsCondition: true })),
      supportsSetVariable: true,
      supportsEvaluateForHovers: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsSingleThreadExecutionRequests: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsLoadedSourcesRequest: true,
      supportsCompletionsRequest: true,
      supportsValueFormattingOptions: false,
    };
    this.sendResponse(response);
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.answer(response, async () => {
      if (this.ins) throw new RequestError(ERR.launch, 'already launched (use restart)');
      const config = parseLaunchArguments(args, this.defaultCwd);
      this.boot(config);
      this.sendEvent(new InitializedEvent());
      // A client that never sends configurationDone still gets its launch (as vscode-mock-debug does).
      await Promise.race([this.configurationDone, new Promise((resolve) => setTimeout(resolve, CONFIGURATION_WAIT_MS).unref())]);
      // Answer launch first, then run: the client sees the response before the first stop.
      this.background((c) => c.start());
      return undefined;
    });
  }

  private boot(config: LaunchConfig): void {
    let ins: Inspectable;
    try {
      // driven through the time-travel engine, so stepBack and reverseContinue can replay it
      const tt = new TimeTravel(this.factory({ configs: config.configs, pcpus: config.pcpus, memoryMiB: config.memoryMiB }));
      this.reverse = new ReverseDebugger(tt);
      this.timeline = new TimelineRecorder(tt);
      this.exits = new VmExitRecorder(tt);
      ins = tt;
    } catch (e) {
      throw new LaunchError('domains', (e as Error).message);
    }
    this.ins = ins;
    this.launchConfig = config;
    // Frames and variables of an earlier machine (before a restart) mean nothing now.
    this.frames.reset();
    this.vars.reset();
    for (const w of config.warnings) this.sendEvent(new OutputEvent(`${w}\n`, 'console'));
    if (config.trace) {
      try {
        this.traceFd = fs.openSync(config.trace, 'w');
      } catch (e) {
        throw new LaunchError('trace', `${config.trace}: ${(e as Error).message}`);
      }
      const fd = this.traceFd;
      this.unsubscribe.push(ins.trace.subscribe(jsonLinesWriter((line) => fs.writeSync(fd, line))));
    }
    this.unsubscribe.push(ins.trace.subscribe((r) => this.onConsole(r), { mask: CLASS_BIT.console, classes: ['console'] }));
    // after the engine's record counter (subscribed when it was built), so it reads each record's index
    this.unsubscribe.push(ins.trace.subscribe(this.timeline!.listener));
    this.unsubscribe.push(ins.trace.subscribe(this.exits!.listener));
    const ctx = inspectableContext(ins);
    this.control = new RunControl(ins, ctx, {
      stopped: (s) => this.onStopped(s),
      output: (text) => this.sendEvent(new OutputEvent(text, 'console')),
      finished: () => this.onFinished(),
      wantsDomainStops: () => this.sourceBps.size > 0 || this.functionBps.some((b) => !b.record),
      domainAppeared: () => {
        this.syncThreads();
        this.resolveAll(true);
      },
    }, config.stopOnEntry && !config.noDebug);
    this.syncThreads();
    this.resolveAll(false);
  }

  private shutdownMachine(): void {
    this.control?.dispose();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.traceFd !== undefined) fs.closeSync(this.traceFd);
    this.traceFd = undefined;
    this.control = undefined;
    this.ins = undefined;
    this.reverse = undefined;
    this.timeline = undefined;
    this.exits = undefined;
    this.consoleEcho.clear();
  }

  protected restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.answer(response, () => {
      const config = args.arguments ? parseLaunchArguments(args.arguments, this.defaultCwd) : this.launchConfig;
      if (!config) throw new RequestError(ERR.notRunning, 'nothing to restart (launch first)');
      this.shutdownMachine();
      for (const id of this.knownThreads) this.sendEvent(new ThreadEvent('exited', id));
      this.knownThreads.clear();
      this.boot(config);
      this.background((c) => c.start());
      return undefined;
    });
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.shutdownMachine();
    this.sendResponse(response);
    // Standalone over stdio this ends the process; in server mode and in process it does nothing.
    this.shutdown();
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.shutdownMachine();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  // ---- events from the run -----------------------------------------------------------

  private onStopped(s: Stopped): void {
    this.frames.reset();
    this.vars.reset();
    this.syncThreads();
    const e = new StoppedEvent(s.reason, threadIdOf(s), s.description) as DebugProtocol.StoppedEvent;
    e.body.description = s.description;
    e.body.allThreadsStopped = true;
    if (s.hitBreakpointIds) e.body.hitBreakpointIds = s.hitBreakpointIds;
    this.sendEvent(e);
  }

  private onFinished(): void {
    // The run is over: every vCPU's thread ends with it, whether Xen destroyed its domain yet or not.
    for (const id of this.knownThreads) this.sendEvent(new ThreadEvent('exited', id));
    this.knownThreads.clear();
    this.sendEvent(new OutputEvent('every domain has shut down\n', 'console'));
    this.sendEvent(new TerminatedEvent());
  }

  private domainName(domid: number): string {
    return this.ins?.domains().find((d) => d.id === domid)?.name ?? `d${domid}`;
  }

  /** console_io lines per domain not yet matched by the same line from its console ring */
  private consoleEcho = new Map<number, string[]>();

  /**
   * Console lines (the hypervisor emits whole lines) prefixed with the domain's name. A guest
   * that writes each line through console_io and its console ring (XTF does) shows it once.
   */
  private onConsole(r: TraceRecord): void {
    if (r.kind !== 'console') return;
    const seen = this.consoleEcho.get(r.domid) ?? [];
    this.consoleEcho.set(r.domid, seen);
    if (r.source === 'pv-ring') {
      const at = seen.indexOf(r.text);
      if (at >= 0) {
        seen.splice(0, at + 1);
        return;
      }
    } else if (r.source === 'console_io') {
      seen.push(r.text);
      if (seen.length > CONSOLE_ECHO_LINES) seen.shift();
    }
    const name = this.domainName(r.domid);
    const lines = r.text.replace(/\n$/, '').split('\n');
    this.sendEvent(new OutputEvent(lines.map((l) => `[${name}] ${l}\n`).join(''), 'stdout'));
  }

  private threadSyncQueued = false;

  /** Domains come and go while the machine runs: announce their threads at the next slice boundary. */
  private onDomainRecord(r: TraceRecord): void {
    if (r.kind !== 'domain' || this.threadSyncQueued) return;
    this.threadSyncQueued = true;
    setImmediate(() => {
      this.threadSyncQueued = false;
      this.syncThreads();
    });
  }

  /** thread started/exited events for vCPUs that came or went since the last look. */
  private syncThreads(): void {
    if (!this.ins) return;
    const now = new Set(this.threadList().map((t) => t.id));
    for (const id of now) if (!this.knownThreads.has(id)) this.sendEvent(new ThreadEvent('started', id));
    for (const id of this.knownThreads) if (!now.has(id)) this.sendEvent(new ThreadEvent('exited', id));
    this.knownThreads = now;
    this.syncSources();
  }

  private knownSources = new Set<string>();

  /** loadedSource events for the source files of images that appeared with a new domain. */
  private syncSources(): void {
    const ins = this.ins;
    if (!ins) return;
    for (const d of ins.domains()) {
      for (const f of ins.image(d.id)?.files() ?? []) {
        if (this.knownSources.has(f)) continue;
        this.knownSources.add(f);
        this.sendEvent(new LoadedSourceEvent('new', this.sourceFor(f)));
      }
    }
  }

  private threadList(): Thread[] {
    const ins = this.ins;
    if (!ins) return [];
    const out: Thread[] = [];
    for (const d of ins.domains()) {
      if (d.state === 'destroyed' || d.state === 'dying') continue;
      for (let v = 0; v < d.vcpus; v++) out.push(new Thread(threadIdOf({ domid: d.id, vcpu: v }), `d${d.id} ${d.name} vcpu${v}`));
    }
    return out;
  }

  // ---- run control -------------------------------------------------------------------

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.threadList() };
    this.sendResponse(response);
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.answer(response, () => {
      const c = this.stoppedControl();
      this.background(() => c.resume());
      return { allThreadsContinued: true };
    });
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.answer(response, () => {
      this.machine();
      this.control?.pause();
      return undefined;
    });
  }

  private step(response: DebugProtocol.Response, threadId: number, run: (c: RunControl, t: ThreadRef) => Promise<void>): void {
    this.answer(response, () => {
      this.stoppedControl();
      const t = this.threadOf(threadId);
      this.background((ctl) => run(ctl, t));
      return undefined;
    });
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.step(response, args.threadId, (c, t) => c.next(t, args.granularity !== 'instruction' && this.hasLines(t), args.singleThread === true));
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.step(response, args.threadId, (c, t) => c.stepIn(t, args.granularity !== 'instruction' && this.hasLines(t)));
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.step(response, args.threadId, (c, t) => c.stepOut(t, args.singleThread === true));
  }

  /** Line stepping needs a line map; without one a "line" is an instruction. */
  private hasLines(t: ThreadRef): boolean {
    const ins = this.machine();
    return ins.image(t.domid)?.lineAt(ins.cpuState(t.domid, t.vcpu).eip >>> 0) !== undefined;
  }

  // ---- stack, scopes, variables -----------------------------------------------------

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.answer(response, () => {
      const ins = this.machine();
      const t = this.threadOf(args.threadId);
      const frames: StackFrame[] = [];
      const activity = ins.vcpus(t.domid).find((v) => v.vcpu === t.vcpu)?.activity;
      const s = ins.cpuState(t.domid, t.vcpu);
      if (activity) {
        const f = new StackFrame(this.frames.create({ ...t, pc: s.eip >>> 0, xen: true }), `xen: ${activity.description}`) as DebugProtocol.StackFrame;
        f.presentationHint = 'label';
        frames.push(f);
      }
      const image = ins.image(t.domid);
      const read32 = (a: number): number | undefined => {
        const b = ins.readMemory(t.domid, 'gva', a, 4, t.vcpu);
        return b.every((x) => x !== undefined) ? ((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) : undefined;
      };
      for (const g of guestFrames(s.eip, s.r[5], read32, image, MAX_FRAMES, s.r[4])) {
        const f = new StackFrame(this.frames.create({ ...t, pc: g.pc, xen: false, unwound: g.unwound }), g.name) as DebugProtocol.StackFrame;
        if (g.source) {
          f.source = this.sourceFor(g.source.file);
          f.line = g.source.line;
          f.column = 1;
        }
        f.instructionPointerReference = formatMemoryReference({ space: 'gva', domid: t.domid, vcpu: t.vcpu, address: g.pc });
        frames.push(f);
      }
      const start = args.startFrame ?? 0;
      const levels = args.levels || frames.length;
      return { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    });
  }

  private sourceFor(file: string): Source {
    if (fs.existsSync(file)) return new Source(path.basename(file), file);
    // Not on this disk (built elsewhere): the client asks for the text by reference.
    return new Source(path.basename(file), undefined, this.sourceRefs.create(file));
  }

  private frameOf(frameId: unknown): FrameRef {
    if (typeof frameId !== 'number') throw new RequestError(ERR.bad, `frameId ${JSON.stringify(frameId)} is not a frame`);
    const f = this.frames.get(frameId);
    if (!f) throw new RequestError(ERR.bad, `frame ${frameId} is not known (frames last until the next run)`);
    return f;
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.answer(response, () => {
      const ins = this.machine();
      const f = this.frameOf(args.frameId);
      const live = ins.cpuState(f.domid, f.vcpu);
      // A caller's frame shows where it will resume; editing is for the live registers (the top frame).
      const s = f.unwound ? { ...live, eip: f.pc, r: live.r.map((v, i) => (i === 4 ? f.unwound!.esp : i === 5 ? f.unwound!.ebp : v)) } : live;
      const gva = (a: number) => formatMemoryReference({ space: 'gva', domid: f.domid, vcpu: f.vcpu, address: a });
      const ma = (a: number) => formatMemoryReference({ space: 'ma', address: a });
      const scope = (name: string, rows: Row[], hint?: 'registers', expensive = false): DebugProtocol.Scope => {
        const sc = new Scope(name, this.vars.create({ rows, thread: f }), expensive) as DebugProtocol.Scope;
        if (hint) sc.presentationHint = hint;
        return sc;
      };
      return {
        scopes: [
          scope('Registers', f.unwound ? readOnlyRows(registerRows(s, gva)) : registerRows(s, gva), 'registers'),
          scope('Segments', segmentRows(s)),
          scope('System', systemRows(s, gva, ma)),
          scope('Xen', this.xenRows(f)),
        ],
      };
    });
  }

  /** The hypervisor's own rows (xenState), with what DomainInfo and VcpuInfo add where it says nothing of it. */
  private xenRows(t: ThreadRef): Row[] {
    const ins = this.machine();
    const toRow = (n: XenStateNode): Row => ({ name: n.name, value: n.value, readOnly: true, children: n.children?.map(toRow) });
    const rows = ins.xenState(t.domid, t.vcpu).map(toRow);
    const has = (name: string) => rows.some((r) => r.name === name);
    const d = ins.domains().find((x) => x.id === t.domid);
    const v = ins.vcpus(t.domid).find((x) => x.vcpu === t.vcpu);
    if (d && !has('domain')) rows.unshift({ name: 'domain', value: `d${d.id} ${d.name} (${d.kind}${d.privileged ? ', privileged' : ''}, ${d.state})`, readOnly: true });
    if (d?.configFile) rows.push({ name: 'config', value: d.configFile, readOnly: true });
    if (v?.activity && !has('in Xen')) rows.unshift({ name: 'in Xen', value: v.activity.description, readOnly: true });
    const last = this.exits?.last(t.domid, t.vcpu, ins.now());
    if (last) {
      rows.unshift({ name: 'last VM exit', value: lastExitSummary(last), readOnly: true, children: lastExitRows(last) });
      const counts = this.exits!.counts(t.domid, t.vcpu);
      rows.splice(1, 0, { name: 'VM exits', value: `${counts.reduce((n, [, c]) => n + c, 0)} (${counts.map(([r, c]) => `${r} ${c}`).join(', ')})`, readOnly: true, children: exitCountRows(counts) });
    } else if (d?.kind === 'hvm') rows.unshift({ name: 'last VM exit', value: 'none yet', readOnly: true });
    const exit = this.stopRecord(t);
    if (exit?.kind === 'vm-exit') rows.unshift({ name: 'VM exit', value: vmExitSummary(exit, ins.cpuState(t.domid, t.vcpu)), readOnly: true, children: vmExitRows(exit, ins.cpuState(t.domid, t.vcpu)) });
    return rows;
  }

  /** The trace record the last stop was on, when it was on this thread. */
  private stopRecord(t: ThreadRef): TraceRecord | undefined {
    const s = this.control?.lastStop;
    return s && s.domid === t.domid && s.vcpu === t.vcpu ? s.record : undefined;
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.answer(response, () => {
      const src = this.vars.get(args.variablesReference);
      if (!src) throw new RequestError(ERR.bad, `variablesReference ${args.variablesReference} is not known (they last until the next run)`);
      const variables = src.rows.map((r) => {
        const v: DebugProtocol.Variable = {
          name: r.name,
          value: r.value,
          variablesReference: r.children?.length ? this.vars.create({ rows: r.children, thread: src.thread }) : 0,
        };
        if (r.type) v.type = r.type;
        if (r.memoryReference) v.memoryReference = r.memoryReference;
        if (r.readOnly || !r.edit) v.presentationHint = { attributes: ['readOnly'] };
        return v;
      });
      return { variables };
    });
  }

  protected setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.answer(response, () => {
      this.stoppedControl();
      const ins = this.machine();
      const src = this.vars.get(args.variablesReference);
      if (!src) throw new RequestError(ERR.bad, `variablesReference ${args.variablesReference} is not known`);
      const row = src.rows.find((r) => r.name === args.name);
      if (!row) throw new RequestError(ERR.bad, `no variable '${args.name}' here`);
      if (!row.edit) throw new RequestError(ERR.bad, `${args.name} cannot be changed`);
      const t = src.thread;
      let regs;
      try {
        regs = applyEdit(ins.cpuState(t.domid, t.vcpu), row.edit, String(args.value));
      } catch (e) {
        throw new RequestError(ERR.bad, `${args.name}: ${(e as Error).message}`);
      }
      ins.setRegisters(t.domid, t.vcpu, regs);
      const after = ins.cpuState(t.domid, t.vcpu);
      row.value = editedValue(after, row.edit);
      // eflags and its flags show the same bits: have the client read the scope again.
      this.sendEvent(new InvalidatedEvent(['variables']));
      return { value: row.value };
    });
  }

  // ---- evaluate ----------------------------------------------------------------------

  private envFor(t: ThreadRef & { pc?: number; unwound?: { esp: number; ebp: number } }): ExprEnv {
    const ins = this.machine();
    const ctx = inspectableContext(ins);
    const unwound = t.unwound && t.pc !== undefined ? { eip: t.pc, esp: t.unwound.esp, ebp: t.unwound.ebp } : undefined;
    // `d1.vcpu0.eax`: another vCPU's register; in a caller's frame its own eip, esp and ebp
    const qualified = (name: string): number | undefined => {
      const own = unwound?.[name.toLowerCase() as 'eip' | 'esp' | 'ebp'];
      if (own !== undefined) return own;
      const m = /^d(\d+)\.v(?:cpu)?(\d+)\.(\w+)$/i.exec(name);
      if (!m) return undefined;
      const d = Number(m[1]);
      const v = Number(m[2]);
      const dom = ins.domains().find((x) => x.id === d);
      if (!dom || v >= dom.vcpus) return undefined;
      return registerValue(ins.cpuState(d, v), m[3]);
    };
    return vcpuEnv(ctx, t.domid, t.vcpu, qualified);
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.answer(response, () => {
      const ins = this.machine();
      const t: ThreadRef & Partial<FrameRef> = args.frameId !== undefined ? this.frameOf(args.frameId) : (this.control?.lastStop ?? { domid: 0, vcpu: 0 });
      const expr = args.expression ?? '';
      if (args.context === 'repl') {
        const out = replCommand(ins, expr, t, (d, v) => this.exits?.last(d, v, ins.now())?.r.reasonName.replace(/^EXIT_REASON_/, ''));
        if (out !== undefined) return { result: out, variablesReference: 0 };
      }
      let v: number;
      try {
        v = compile(expr).evaluate(this.envFor(t));
      } catch (e) {
        throw new RequestError(ERR.bad, (e as Error).message);
      }
      const signed = v | 0;
      return {
        result: `0x${v.toString(16)} (${v}${signed < 0 ? ` / ${signed}` : ''})`,
        type: 'uint32',
        variablesReference: 0,
        memoryReference: formatMemoryReference({ space: 'gva', domid: t.domid, vcpu: t.vcpu, address: v }),
      };
    });
  }

  protected completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.answer(response, () => {
      const text = String(args.text ?? '');
      const before = text.slice(0, Math.max(0, (args.column ?? text.length + 1) - 1));
      const perDomain = (this.ins?.domains() ?? []).map((d) => `info p2m d${d.id}`);
      const targets: DebugProtocol.CompletionItem[] = [...REPL_COMMANDS, ...perDomain].filter((c) => c.startsWith(before)).map((c) => ({ label: c, text: c, start: 0, length: before.length, type: 'function' }));
      // the word being typed: a register or flag
      const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before)?.[0];
      if (word) {
        for (const r of COMPLETION_REGISTERS) if (r.startsWith(word.toLowerCase()) && r !== word) targets.push({ label: r, text: r, start: before.length - word.length, length: word.length, type: 'variable' });
      }
      return { targets };
    });
  }

  // ---- breakpoints -------------------------------------------------------------------

  private rule(b: { condition?: string; hitCondition?: string; logMessage?: string }): { rule?: StopRule; message?: string } {
    try {
      return { rule: new StopRule(b) };
    } catch (e) {
      return { message: (e as Error).message };
    }
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.answer(response, () => {
      const file = args.source?.path;
      if (typeof file !== 'string') throw new RequestError(ERR.bad, 'setBreakpoints: source.path is required (breakpoints go in files)');
      const key = path.resolve(file);
      const list: SourceBp[] = (args.breakpoints ?? []).map((b) => ({ id: this.nextId++, file: key, line: b.line, ...this.rule(b), addresses: [] }));
      if (list.length) this.sourceBps.set(key, list);
      else this.sourceBps.delete(key);
      const domains = this.ins?.domains();
      for (const bp of list) this.resolveSource(bp, domains);
      this.pushBreakpoints();
      return { breakpoints: list.map((bp) => this.sourceBreakpoint(bp)) };
    });
  }

  private sourceBreakpoint(bp: SourceBp): DebugProtocol.Breakpoint {
    const verified = !bp.message && bp.addresses.length > 0;
    const b = new Breakpoint(verified, bp.resolvedLine ?? bp.line, undefined, new Source(path.basename(bp.file), bp.file)) as DebugProtocol.Breakpoint;
    b.id = bp.id;
    if (!verified) b.message = bp.message ?? (this.ins ? 'no code at or after this line in any domain' : 'not yet: resolved when the domains are loaded');
    if (verified && bp.addresses.length) b.instructionReference = formatMemoryReference({ space: 'gva', domid: bp.addresses[0].domid, address: bp.addresses[0].eip });
    return b;
  }

  /** Finds the addresses of a source line in every domain built from the file, moving it down to code. */
  /** `domains`: the list once for many breakpoints (DomainInfo is built afresh on each call). */
  private resolveSource(bp: SourceBp, domains = this.ins?.domains()): void {
    bp.addresses = [];
    bp.resolvedLine = undefined;
    if (!this.ins || !domains || bp.message) return;
    for (const d of domains) {
      const image = this.ins.image(d.id);
      if (!image || !image.files().some((f) => path.resolve(f) === bp.file)) continue;
      const file = image.files().find((f) => path.resolve(f) === bp.file)!;
      // Nearest line with code: the line itself, then below it (where the next statement is), then above.
      const candidates = [bp.line, ...Array.from({ length: 200 }, (_, i) => bp.line + i + 1), ...Array.from({ length: 50 }, (_, i) => bp.line - i - 1)].filter((l) => l >= 1);
      for (const line of candidates) {
        const addrs = image.addressesOf(file, line);
        if (addrs.length) {
          bp.resolvedLine ??= line;
          if (line === bp.resolvedLine) for (const eip of addrs) bp.addresses.push({ domid: d.id, eip });
          break;
        }
      }
    }
  }

  private resolveFunction(bp: FunctionBp, domains = this.ins?.domains()): void {
    bp.addresses = [];
    if (!this.ins || !domains || !bp.symbol) return;
    for (const d of domains) {
      const a = this.ins.image(d.id)?.symbolAddress(bp.symbol);
      if (a !== undefined) bp.addresses.push({ domid: d.id, eip: a });
    }
  }

  /** Re-resolves address breakpoints (a domain came); says which ones changed. */
  private resolveAll(announce: boolean): void {
    const domains = this.ins?.domains();
    for (const list of this.sourceBps.values()) {
      for (const bp of list) {
        const before = JSON.stringify([bp.addresses, bp.resolvedLine]);
        this.resolveSource(bp, domains);
        if (announce && before !== JSON.stringify([bp.addresses, bp.resolvedLine])) this.sendEvent(new BreakpointEvent('changed', this.sourceBreakpoint(bp)));
      }
    }
    for (const bp of this.functionBps) {
      if (bp.record) continue;
      const before = bp.addresses.length;
      this.resolveFunction(bp, domains);
      if (announce && before !== bp.addresses.length) this.sendEvent(new BreakpointEvent('changed', this.functionBreakpoint(bp)));
    }
    this.pushBreakpoints();
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.answer(response, () => {
      const domains = this.ins?.domains();
      this.functionBps = (args.breakpoints ?? []).map((b) => {
        const bp: FunctionBp = { id: this.nextId++, name: String(b.name), ...this.rule(b), addresses: [] };
        if (bp.message) return bp;
        try {
          const target = parseFunctionTarget(bp.name);
          if (target.kind === 'symbol') bp.symbol = target.name;
          else bp.record = { id: bp.id, kind: 'function breakpoint', label: `${target.kind}:${target.name}`, key: narrowKey(functionTargetKey(target), bp.rule!.condition), matches: functionTargetMatcher(target), rule: bp.rule! };
        } catch (e) {
          bp.message = (e as Error).message;
        }
        this.resolveFunction(bp, domains);
        return bp;
      });
      this.pushBreakpoints();
      return { breakpoints: this.functionBps.map((bp) => this.functionBreakpoint(bp)) };
    });
  }

  private functionBreakpoint(bp: FunctionBp): DebugProtocol.Breakpoint {
    const verified = !bp.message && (bp.record !== undefined || bp.addresses.length > 0);
    const b = new Breakpoint(verified) as DebugProtocol.Breakpoint;
    b.id = bp.id;
    if (!verified) b.message = bp.message ?? `no domain has a symbol '${bp.symbol}'${this.ins ? '' : ' (resolved when the domains are loaded)'}`;
    if (bp.addresses.length) b.instructionReference = formatMemoryReference({ space: 'gva', domid: bp.addresses[0].domid, address: bp.addresses[0].eip });
    return b;
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.answer(response, () => {
      const fallback = this.control?.lastStop;
      this.instructionBps = (args.breakpoints ?? []).map((b) => {
        const bp: InstructionBp = { id: this.nextId++, domid: 0, eip: 0, ...this.rule(b) };
        try {
          const ref = parseMemoryReference(String(b.instructionReference), fallback);
          if (ref.space !== 'gva') throw new Error('instruction breakpoints take guest-virtual addresses');
          bp.domid = ref.domid!;
          bp.eip = (ref.address + (b.offset ?? 0)) >>> 0;
        } catch (e) {
          bp.message = (e as Error).message;
        }
        return bp;
      });
      this.pushBreakpoints();
      return {
        breakpoints: this.instructionBps.map((bp) => answerFor(bp, (b) => (b.instructionReference = formatMemoryReference({ space: 'gva', domid: bp.domid, address: bp.eip })))),
      };
    });
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.answer(response, () => {
      const known = new Set<string>(EXCEPTION_FILTERS.map((f) => f.filter));
      const options = [...(args.filters ?? []).map((filterId) => ({ filterId, condition: undefined as string | undefined })), ...(args.filterOptions ?? [])];
      const filters = new Map<FilterId, StopRule>();
      const breakpoints: DebugProtocol.Breakpoint[] = [];
      for (const o of options) {
        const b: DebugProtocol.Breakpoint = { verified: true };
        if (!known.has(o.filterId)) {
          b.verified = false;
          b.message = `'${o.filterId}' is not a filter (${[...known].join(', ')})`;
        } else {
          const r = this.rule({ condition: o.condition });
          if (r.rule) filters.set(o.filterId as FilterId, r.rule);
          else Object.assign(b, { verified: false, message: r.message });
        }
        breakpoints.push(b);
      }
      this.filters = filters;
      this.pushBreakpoints();
      return { breakpoints };
    });
  }

  /** Hands the control the current address lists and record predicates, and subscribes to what they need. */
  private pushBreakpoints(): void {
    const c = this.control;
    if (!c) return;
    if (this.launchConfig?.noDebug) {
      // "Run without debugging": breakpoints stay set in the editor but do not stop.
      c.setAddressBreakpoints([]);
      c.setRecordStops([]);
      c.setDataBreakpoints([]);
      return;
    }
    const addr: AddressBreakpoint[] = [];
    for (const list of this.sourceBps.values()) for (const bp of list) if (bp.rule) for (const a of bp.addresses) addr.push({ id: bp.id, ...a, kind: 'breakpoint', rule: bp.rule });
    for (const bp of this.functionBps) if (bp.rule && !bp.record) for (const a of bp.addresses) addr.push({ id: bp.id, ...a, kind: 'function breakpoint', rule: bp.rule });
    for (const bp of this.instructionBps) if (bp.rule && !bp.message) addr.push({ id: bp.id, domid: bp.domid, eip: bp.eip, kind: 'instruction breakpoint', rule: bp.rule });
    c.setAddressBreakpoints(addr);
    const records: RecordStop[] = this.functionBps.filter((b) => b.record).map((b) => b.record!);
    for (const [filter, rule] of this.filters) {
      const label = EXCEPTION_FILTERS.find((f) => f.filter === filter)!.label;
      records.push({ id: 0, kind: 'exception', label, filter, key: narrowKey({ kind: FILTER_KIND[filter] }, rule.condition), matches: (r) => filterOf(r) === filter, rule });
    }
    c.setRecordStops(records);
    this.subscribeFor(records);
    const data: DataBreakpoint[] = [];
    for (const bp of this.dataBps) {
      if (!bp.range || !bp.rule || bp.message) continue;
      data.push({ id: bp.id, rule: bp.rule, watch: { domid: bp.range.domid, gva: bp.range.gva, length: bp.range.length, access: bp.access } });
    }
    c.setDataBreakpoints(data);
  }

  private classSubscription: (() => void) | undefined;

  /**
   * The hypervisor emits records only for classes someone listens to; subscribe (with a
   * listener that does nothing) to the classes the armed stops look at, so stopOn sees them.
   */
  private subscribeFor(records: RecordStop[]): void {
    const ins = this.ins;
    if (!ins) return;
    const classes = new Set<TraceClass>(['domain']);
    for (const r of records) classes.add(CLASS_OF[r.key.kind]);
    this.classSubscription?.();
    const list = [...classes];
    this.classSubscription = ins.trace.subscribe((r) => this.onDomainRecord(r), { mask: list.reduce((m, c) => m | CLASS_BIT[c], 0), classes: list });
    this.unsubscribe.push(() => this.classSubscription?.());
  }

  // ---- data breakpoints (data.ts) ----------------------------------------------------

  /**
   * A range to watch: (a) `name` a variable of `variablesReference` that holds an address
   * (a register), (b) an expression (`counter`, `esi`, `dword [esp+4]`), or (c) with
   * `asAddress` an address (`0x100040`, `d2:gva:0x100040`) and `bytes` long. Addresses are
   * guest-virtual in the domain of the frame's (or the last stopped) thread.
   */
  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.answer(response, () => {
      const ins = this.machine();
      const name = String(args.name ?? '');
      const t: ThreadRef & Partial<FrameRef> = args.frameId !== undefined ? this.frameOf(args.frameId) : (this.control?.lastStop ?? { domid: 0, vcpu: 0 });
      const bytes = args.bytes;
      if (bytes !== undefined && (!Number.isInteger(bytes) || bytes < 1)) throw new RequestError(ERR.bad, `dataBreakpointInfo: bytes ${JSON.stringify(bytes)} must be a positive integer`);
      const evalIn = (text: string, th: ThreadRef): number => {
        try {
          return compile(text).evaluate(this.envFor(th));
        } catch (e) {
          throw new RequestError(ERR.bad, `dataBreakpointInfo: '${text}': ${(e as Error).message}`);
        }
      };
      if (args.variablesReference !== undefined && args.variablesReference !== 0 && !args.asAddress) {
        const src = this.vars.get(args.variablesReference);
        if (!src) throw new RequestError(ERR.bad, `variablesReference ${args.variablesReference} is not known (they last until the next run)`);
        const row = src.rows.find((r) => r.name === name);
        if (!row) throw new RequestError(ERR.bad, `no variable '${name}' here`);
        if (!row.memoryReference) return { dataId: null, description: `${name} holds no address to watch (data breakpoints watch memory: try a register or an address)` };
        let ref: { domid: number; address: number } | undefined;
        try {
          ref = addressReference(row.memoryReference, src.thread);
        } catch (e) {
          // cr3 and the like hold machine addresses
          return { dataId: null, description: `${name}: ${(e as Error).message}` };
        }
        if (!ref) return { dataId: null, description: `${name} holds no address to watch` };
        return dataInfo(ins, { domid: ref.domid, gva: ref.address, length: bytes ?? 4 }, `[${name}]`);
      }
      if (args.asAddress) {
        let ref: { domid: number; address: number } | undefined;
        try {
          ref = addressReference(name, t);
        } catch (e) {
          return { dataId: null, description: (e as Error).message };
        }
        const at = ref ?? { domid: t.domid, address: evalIn(name, t) };
        return dataInfo(ins, { domid: at.domid, gva: at.address, length: bytes ?? 1 });
      }
      const operand = memoryOperand(name);
      const address = evalIn(operand ? operand.address : name, t);
      return dataInfo(ins, { domid: t.domid, gva: address, length: bytes ?? operand?.size ?? 4 }, operand ? name : `[${name}]`);
    });
  }

  /**
   * Arms the data breakpoints (replacing the last set). A domain's DR0–DR3 take them in
   * order; one that does not fit is unverified and says why, as is one for a domain that is gone.
   */
  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.answer(response, () => {
      const ins = this.ins;
      const used = new Map<number, number>();
      this.dataBps = (args.breakpoints ?? []).map((b) => {
        const access = (b.accessType ?? 'write') as DataAccess;
        const bp: DataBp = { id: this.nextId++, dataId: String(b.dataId), access, ...this.rule(b) };
        if (!DATA_ACCESS_TYPES.includes(access)) bp.message ??= `accessType '${b.accessType}' is not read, write or readWrite`;
        try {
          bp.range = parseDataId(bp.dataId);
          const regs = registersFor(bp.range);
          const d = ins?.domains().find((x) => x.id === bp.range!.domid);
          const taken = used.get(bp.range.domid) ?? 0;
          if (ins && (!d || d.state === 'destroyed' || d.state === 'dying')) bp.message ??= `d${bp.range.domid} does not exist (any more)`;
          else if (taken + regs > DEBUG_REGISTERS) {
            bp.message ??= `no debug register left in d${bp.range.domid}${d ? ` ${d.name}` : ''}: this range needs ${regs}, ${taken} of the domain's ${DEBUG_REGISTERS} (DR0–DR3) are taken by the data breakpoints above it`;
          } else if (!bp.message) used.set(bp.range.domid, taken + regs);
        } catch (e) {
          bp.message ??= (e as Error).message;
        }
        return bp;
      });
      this.pushBreakpoints();
      return {
        breakpoints: this.dataBps.map((bp) => answerFor(bp, (b) => ins && bp.range && (b.message = `${bp.access} of ${describeRange(ins, bp.range)}`))),
      };
    });
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    this.answer(response, () => {
      const t = this.threadOf(args.threadId);
      const s = this.control?.lastStop;
      if (!s || s.domid !== t.domid || s.vcpu !== t.vcpu || s.reason !== 'exception') throw new RequestError(ERR.bad, 'this thread did not stop on an exception filter');
      const r = s.record;
      const message = r?.kind === 'vm-exit' ? vmExitSummary(r, this.machine().cpuState(t.domid, t.vcpu)) : s.description;
      return { exceptionId: s.filter ?? 'exception', description: s.description, breakMode: 'always' as const, details: r ? { message, typeName: r.kind } : undefined };
    });
  }

  // ---- memory, disassembly, sources ------------------------------------------------------

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.answer(response, () => {
      const ins = this.machine();
      const ref = parseMemoryReference(String(args.memoryReference), this.control?.lastStop);
      const count = args.count;
      if (!Number.isInteger(count) || count < 0 || count > 1 << 20) throw new RequestError(ERR.bad, `readMemory: count ${count} must be 0 to 1048576`);
      const start = (ref.address + (args.offset ?? 0)) >>> 0;
      const raw = ins.readMemory(ref.domid ?? 0, ref.space, start, count, ref.vcpu);
      // DAP gives one readable run: skip unmapped bytes before it, report those after it.
      let first = 0;
      while (first < raw.length && raw[first] === undefined) first++;
      // Nothing readable at all: say so from the start address.
      if (first === raw.length) return { address: `0x${start.toString(16)}`, unreadableBytes: count };
      let end = first;
      while (end < raw.length && raw[end] !== undefined) end++;
      const data = Buffer.from(raw.slice(first, end) as number[]);
      return { address: `0x${((start + first) >>> 0).toString(16)}`, data: data.toString('base64'), unreadableBytes: count - end };
    });
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.answer(response, () => {
      this.stoppedControl();
      const ins = this.machine();
      const ref = parseMemoryReference(String(args.memoryReference), this.control?.lastStop);
      const data = Buffer.from(String(args.data ?? ''), 'base64');
      const start = (ref.address + (args.offset ?? 0)) >>> 0;
      const written = ins.writeMemory(ref.domid ?? 0, ref.space, start, new Uint8Array(data), ref.vcpu);
      if (written > 0) this.sendEvent(new MemoryEvent(String(args.memoryReference), args.offset ?? 0, written));
      if (written < data.length && !args.allowPartial) throw new RequestError(ERR.bad, `only ${written} of ${data.length} bytes written: 0x${((start + written) >>> 0).toString(16)} is not mapped`);
      return { bytesWritten: written };
    });
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.answer(response, () => {
      const ins = this.machine();
      const ref = parseMemoryReference(String(args.memoryReference), this.control?.lastStop);
      const count = args.instructionCount;
      if (!Number.isInteger(count) || count < 0 || count > 10_000) throw new RequestError(ERR.bad, `disassemble: instructionCount ${count} must be 0 to 10000`);
      const image = ref.space === 'gva' && ref.domid !== undefined ? ins.image(ref.domid) : undefined;
      const read = (a: number, n: number) => ins.readMemory(ref.domid ?? 0, ref.space, a, n, ref.vcpu);
      const list = disassembleAround(read, (ref.address + (args.offset ?? 0)) >>> 0, args.instructionOffset ?? 0, count, image);
      let lastLine = '';
      return {
        instructions: list.map((d) => {
          const i: DebugProtocol.DisassembledInstruction = { address: `0x${d.address.toString(16)}`, instructionBytes: d.bytes, instruction: d.text };
          if (d.symbol) i.symbol = d.symbol;
          if (d.invalid) i.presentationHint = 'invalid';
          if (d.source) {
            const key = `${d.source.file}:${d.source.line}`;
            // The client shows a source line once, at its first instruction.
            if (key !== lastLine) {
              i.location = this.sourceFor(d.source.file);
              i.line = d.source.line;
            }
            lastLine = key;
          }
          return i;
        }),
      };
    });
  }

  protected loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    this.answer(response, () => {
      const ins = this.machine();
      const files = new Set<string>();
      for (const d of ins.domains()) for (const f of ins.image(d.id)?.files() ?? []) files.add(f);
      return { sources: [...files].sort().map((f) => this.sourceFor(f)) };
    });
  }

  protected sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.answer(response, () => {
      const file = args.sourceReference ? this.sourceRefs.get(args.sourceReference) : args.source?.path;
      if (!file) throw new RequestError(ERR.bad, `source reference ${args.sourceReference} is not known`);
      try {
        return { content: fs.readFileSync(file, 'utf8') };
      } catch {
        return { content: `; ${file} is not on this machine: use the Disassembly view\n` };
      }
    });
  }

  // ---- reverse execution (reverse.ts) ---------------------------------------------------

  private travel(response: DebugProtocol.Response, go: (r: ReverseDebugger, c: RunControl) => Stopped): void {
    this.answer(response, () => {
      const c = this.stoppedControl();
      const s = go(this.reverse!, c);
      c.travelled(s);
      setImmediate(() => this.onStopped(s));
      return undefined;
    });
  }

  protected stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    const t = () => this.threadOf(args.threadId);
    this.travel(response, (r) => reverseStop.stepBack(r, t(), args.granularity !== 'instruction' && this.hasLines(t()), this.machine()));
  }

  protected reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.travel(response, (r, c) => reverseStop.reverseContinue(r, c.reverseTargets(), c.lastStop));
  }

  /** `xensim/domains` (domains.ts) for the extension's Xen Domains view and status bar; `xensim/travelTo` (reverse.ts); `xensim/timeline` (timeline.ts). */
  protected customRequest(command: string, response: DebugProtocol.Response, args: unknown, request?: DebugProtocol.Request): void {
    if (command === TRAVEL_REQUEST) {
      return this.travel(response, (r, c) => {
        const s = reverseStop.travel(r, (args ?? {}) as object, c.lastStop);
        // at a marker's record (the Timeline), stop on the vCPU it happened on
        const record = (args as { record?: unknown } | undefined)?.record;
        const who = typeof record === 'number' ? this.timeline?.vcpuOf(record) : undefined;
        const live = who && this.machine().domains().some((d) => d.id === who.domid && who.vcpu < d.vcpus);
        return live ? { ...s, ...who } : s;
      });
    }
    if (command === TIMELINE_REQUEST) {
      return this.answer(response, () => {
        const ins = this.machine();
        return this.timeline!.body(ins, (args ?? {}) as TimelineArguments);
      });
    }
    if (command !== DOMAINS_REQUEST) return super.customRequest(command, response, args, request);
    this.answer(response, () => domainsBody(this.machine(), threadIdOf));
  }
}
