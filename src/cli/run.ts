// `xensim run [--pcpus N] [--memory MiB] [--max-time 5s] [--trace FILE] [--trace-filter C] DOMAIN.cfg...`:
// boots the configured domains on a simulated Xen, prints their consoles as they happen and a
// summary per domain at the end. Exit 0 when every domain shut down cleanly (poweroff).
import * as fs from 'fs';
import * as path from 'path';
import { CliIO, Command, UsageError } from './command';
import { DomainConfig, formatDiagnostic, loadDomainConfigFile } from '../xen/config';
import { parseTraceFilter, TraceFilter } from '../trace/filter';
import { parseTraceFormat, subscribeTraceFile, TRACE_FORMATS, TraceFormat } from '../trace/export';
// nanosecond digits: a small guest runs for microseconds, and 0.000000 s said nothing
const seconds = (ns: number): string => `${(ns / 1e9).toFixed(9)} s`;
import type { ConsoleRecord } from '../trace/records';
import { KernelError } from '../xen/kernel';
import { XenSystem } from '../xen/system';
import { exitCounts, vgaScreen } from '../xen/hvm';
import { CLASS_BIT } from '../trace/records';

const USAGE = 'usage: xensim run [--pcpus N] [--memory MiB] [--mips N] [--max-time 5s] [--trace FILE] [--trace-format json|chrome] [--trace-filter CLASSES] [--no-dom0] DOMAIN.cfg...';

interface RunArgs {
  configs: string[];
  pcpus: number;
  memory: number;
  maxTimeNs: number;
  trace?: string;
  traceFormat: TraceFormat;
  filter?: TraceFilter;
  dom0: boolean;
  quiet: boolean;
  /** virtual instructions per virtual microsecond */
  mips: number;
}

/** `5s`, `200ms`, `10us`, `1000000ns`, or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|ms|us|µs|ns)?$/.exec(text.trim());
  if (!m) return undefined;
  const mult = { s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 }[(m[2] ?? 's') as 's'];
  return Math.round(Number(m[1]) * mult);
}

function parseArgs(args: string[]): RunArgs {
  const a: RunArgs = { configs: [], pcpus: 2, memory: 512, maxTimeNs: 5e9, dom0: true, quiet: false, mips: 1000, traceFormat: 'json' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    const int = (name: string, lo: number, hi: number): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < lo || n > hi) throw new UsageError(`${name} must be an integer from ${lo} to ${hi}, got '${v}'`);
      return n;
    };
    if (arg === '--pcpus') a.pcpus = int('--pcpus', 1, 64);
    else if (arg === '--memory') a.memory = int('--memory', 16, 4095);
    else if (arg === '--mips') a.mips = int('--mips', 1, 1000);
    else if (arg === '--max-time') {
      const v = value();
      const ns = parseDuration(v);
      if (ns === undefined || ns <= 0) throw new UsageError(`--max-time takes a duration such as 5s or 200ms, got '${v}'`);
      a.maxTimeNs = ns;
    } else if (arg === '--trace') a.trace = value();
    else if (arg === '--trace-format') {
      const f = parseTraceFormat(value());
      if (!(TRACE_FORMATS as readonly string[]).includes(f)) throw new UsageError(f);
      a.traceFormat = f as TraceFormat;
    } else if (arg === '--trace-filter') {
      const f = parseTraceFilter(value());
      if (typeof f === 'string') throw new UsageError(`--trace-filter: ${f}`);
      a.filter = f;
    } else if (arg === '--no-dom0') a.dom0 = false;
    else if (arg === '--quiet' || arg === '-q') a.quiet = true;
    else if (arg === '-h' || arg === '--help') throw new UsageError(USAGE);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    else a.configs.push(arg);
  }
  if (a.configs.length === 0) throw new UsageError(`no domain config given\n${USAGE}`);
  return a;
}

export const runCommand: Command = async (args: string[], io: CliIO) => {
  const a = parseArgs(args);
  const configs: DomainConfig[] = [];
  let bad = false;
  for (const c of a.configs) {
    const file = path.resolve(io.cwd, c);
    if (!fs.existsSync(file)) {
      io.stderr(`${c}: no such file\n`);
      bad = true;
      continue;
    }
    const r = loadDomainConfigFile(file);
    for (const d of r.diagnostics) io.stderr(formatDiagnostic({ ...d, file: path.relative(io.cwd, d.file) || d.file }) + '\n');
    if (!r.config) bad = true;
    else configs.push(r.config);
  }
  const names = new Set<string>();
  for (const cfg of configs) {
    if (names.has(cfg.name)) {
      io.stderr(`${path.relative(io.cwd, cfg.file)}: a domain named '${cfg.name}' is already configured; names must be unique\n`);
      bad = true;
    }
    names.add(cfg.name);
  }
  if (bad) return 1;

  let sys: XenSystem;
  try {
    sys = new XenSystem(configs, { pcpus: a.pcpus, memoryMiB: a.memory, dom0: a.dom0, nsPerInstruction: 1000 / a.mips });
  } catch (e) {
    if (e instanceof KernelError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  let traceFd: number | undefined;
  let traceEnd: ((endNs: number) => void) | undefined;
  if (a.trace) {
    traceFd = fs.openSync(path.resolve(io.cwd, a.trace), 'w');
    const fd = traceFd;
    traceEnd = subscribeTraceFile(sys.trace, a.traceFormat, (text) => fs.writeSync(fd, text), a.filter);
  }
  const nameOf = (domid: number) => sys.hv.domains.get(domid)?.name ?? `d${domid}`;
  const width = Math.max(...[...configs.map((c) => c.name), 'Domain-0'].map((n) => n.length));
  if (!a.quiet) {
    // A guest writing each line both through console_io and its console ring (as XTF does)
    // shows it once: a ring line matching a recent console_io line of its domain is skipped.
    const recent = new Map<number, string[]>();
    sys.trace.subscribe((r) => {
      const c = r as ConsoleRecord;
      const list = recent.get(c.domid) ?? [];
      recent.set(c.domid, list);
      if (c.source === 'pv-ring') {
        const i = list.indexOf(c.text);
        if (i >= 0) {
          list.splice(0, i + 1);
          return;
        }
      } else if (list.push(c.text) > 64) list.shift();
      io.stdout(`${`(${nameOf(c.domid)})`.padEnd(width + 2)} ${c.text}\n`);
    }, { mask: CLASS_BIT.console, classes: ['console'] });
  }
  let stop;
  try {
    stop = sys.run({ maxInstructions: Number.MAX_SAFE_INTEGER, untilTimeNs: a.maxTimeNs });
  } finally {
    traceEnd?.(sys.now());
    if (traceFd !== undefined) fs.closeSync(traceFd);
  }
  // summary
  io.stdout('\n');
  const rows = sys.domains().map((d) => {
    const dom = sys.domain(d.id);
    const exits = Object.values(exitCounts(dom)).reduce((a, b) => a + b, 0);
    return [String(d.id), d.name, d.state, d.shutdownReason ?? '-', seconds(dom.cpuTimeNs), String(dom.hypercalls), dom.kind === 'hvm' ? String(exits) : '-'];
  });
  const head = ['ID', 'Name', 'State', 'Reason', 'CPU time', 'Hypercalls', 'VM exits'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.stdout(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
  for (const d of sys.domains()) {
    const byReason = Object.entries(exitCounts(sys.domain(d.id))).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    if (byReason.length) io.stdout(`VM exits of ${d.name}: ${byReason.map(([r, n]) => `${r.replace(/^EXIT_REASON_/, '')} ${n}`).join(', ')}\n`);
  }
  // what an HVM guest left on its VGA text screen (the device model's 0xB8000 window)
  for (const d of sys.domains()) for (const line of (vgaScreen(sys.domain(d.id)) ?? []).filter((l) => l !== '')) io.stdout(`${`(${d.name} vga)`.padEnd(width + 6)} ${line}\n`);
  const why =
    stop.reason === 'finished' ? 'all domains finished' : stop.reason === 'time-limit' ? `--max-time ${seconds(a.maxTimeNs)} reached` : stop.reason === 'idle' ? 'every domain is blocked with nothing pending' : stop.reason;
  io.stdout(`virtual time ${seconds(sys.now())}, ${sys.instructionsRetired()} instructions: ${why}\n`);
  const clean = sys.domains().filter((d) => !d.privileged).every((d) => d.shutdownReason === 'poweroff');
  return clean ? 0 : 1;
};
