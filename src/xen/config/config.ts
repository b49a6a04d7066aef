// A domain's xl config, typed and checked: every problem reported at file:line:col, and a
// config returned only when there is no error (nothing is started from a bad file).
import * as fs from 'fs';
import * as path from 'path';
import { CpuSet, parseCpuList } from './cpulist';
import { DiskSpec, VifSpec, parseDiskSpec, parseVifSpec } from './devices';
import { Diagnostic, DiagnosticSink } from './diagnostics';
import { ACTIONS, Action, DOMAIN_TYPES, DomainType, KEYS, KeySpec, TSC_MODES, TscMode, UNSIMULATED_KEYS, nearestKey } from './keys';
import { CfgSetting, CfgValue, parseXlCfgText } from './parse';

/** vCPU pinning: one set for every vCPU, or one per vCPU (the list form of cpus=). */
export type CpuAffinity = { readonly kind: 'all-vcpus'; readonly set: CpuSet } | { readonly kind: 'per-vcpu'; readonly sets: readonly CpuSet[] };

export interface DomainConfig {
  /** The config file (absolute) and its folder, against which paths were resolved. */
  readonly file: string;
  readonly dir: string;
  readonly name: string;
  readonly type: DomainType;
  /** MiB */
  readonly memory: number;
  readonly maxmem: number;
  readonly vcpus: number;
  readonly maxvcpus: number;
  /** Absolute paths. */
  readonly kernel?: string;
  readonly ramdisk?: string;
  /** firmware_override, or a path given as firmware=. */
  readonly firmware?: string;
  /** cmdline, or root=/extra= combined as xl does; '' when none. */
  readonly cmdline: string;
  readonly onPoweroff: Action;
  readonly onReboot: Action;
  readonly onCrash: Action;
  readonly onWatchdog: Action;
  readonly onSoftReset: Action;
  readonly cpus?: CpuAffinity;
  readonly cpusSoft?: CpuAffinity;
  readonly cpuWeight: number;
  readonly cap: number;
  readonly disks: readonly DiskSpec[];
  readonly vifs: readonly VifSpec[];
  readonly serial: readonly string[];
  readonly maxEventChannels: number;
  readonly maxGrantFrames?: number;
  readonly maxMaptrackFrames?: number;
  readonly maxGrantVersion?: number;
  readonly hap: boolean;
  readonly tscMode: TscMode;
  /** Hyper-V enlightenment groups; [] when off. */
  readonly viridian: readonly string[];
  readonly shadowMemory?: number;
  readonly uuid?: string;
  /** Every setting as written (last one per key), with positions, for the editor. */
  readonly settings: ReadonlyMap<string, CfgSetting>;
}

export interface ConfigResult {
  /** Present only when there are no errors. */
  readonly config?: DomainConfig;
  readonly diagnostics: readonly Diagnostic[];
  readonly settings: readonly CfgSetting[];
}

export interface ConfigOptions {
  /** Checks that kernel/ramdisk/firmware files exist (default: fs.existsSync). */
  readonly exists?: (absPath: string) => boolean;
}

/** libxl's defaults (libxl__domain_build_info_setdefault, xl.cfg(5)). */
export const DEFAULT_MEMORY_MIB = 32;
export const DEFAULT_CPU_WEIGHT = 256;
export const DEFAULT_MAX_EVENT_CHANNELS = 1023;

function kindName(v: CfgValue): string {
  return v.kind === 'list' ? 'a list' : v.kind === 'number' ? 'a number' : 'a string';
}

class Builder {
  private readonly last = new Map<string, CfgSetting>();
  constructor(
    private readonly sink: DiagnosticSink,
    private readonly dir: string,
    private readonly exists: (p: string) => boolean,
  ) {}

  collect(settings: readonly CfgSetting[]): void {
    for (const s of settings) {
      const spec: KeySpec | undefined = KEYS[s.key];
      if (!spec) {
        if (UNSIMULATED_KEYS.includes(s.key)) {
          this.sink.warning(s.keyPos, `'${s.key}' is an xl key xensim does not simulate; ignored`, s.key.length);
        } else {
          const near = nearestKey(s.key);
          this.sink.warning(s.keyPos, `unknown key '${s.key}'${near ? `; did you mean '${near}'?` : ''} (ignored)`, s.key.length);
        }
        continue;
      }
      if (spec.legacy) this.sink.warning(s.keyPos, `'${s.key}' is a legacy key (before Xen 4.10); ignored beyond its type check`, s.key.length);
      const prev = this.last.get(s.key);
      if (s.op === '+=') {
        if (s.value.kind !== 'list' || (prev && prev.value.kind !== 'list')) {
          this.sink.error(s.keyPos, `'+=' appends to a list; '${s.key}' is not one`, s.key.length);
          continue;
        }
        if (prev && prev.value.kind === 'list') {
          const items = [...prev.value.items, ...s.value.items];
          this.last.set(s.key, { ...s, value: { kind: 'list', items, pos: prev.value.pos, end: s.value.end } });
          continue;
        }
      } else if (prev) {
        this.sink.warning(s.keyPos, `'${s.key}' is set again (first at line ${prev.keyPos.line}); the last value wins`, s.key.length);
      }
      this.last.set(s.key, s);
    }
  }

  get settings(): ReadonlyMap<string, CfgSetting> {
    return this.last;
  }

  private err(v: CfgValue, key: string, message: string): undefined {
    this.sink.error(v.pos, `${key}: ${message}`);
    return undefined;
  }

  string(key: string): string | undefined {
    const s = this.last.get(key);
    if (!s) return undefined;
    if (s.value.kind === 'list') return this.err(s.value, key, `expected a string, found ${kindName(s.value)}`);
    return s.value.kind === 'number' ? s.value.text : s.value.value;
  }

  /** Numbers may be quoted: libxlu keeps every atom as a string and converts on use. */
  int(key: string): number | undefined {
    const s = this.last.get(key);
    if (!s) return undefined;
    const spec = KEYS[key];
    const v = s.value;
    let n: number | undefined;
    if (v.kind === 'number') n = v.value;
    else if (v.kind === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v.value.trim())) n = Number(v.value.trim());
    if (n === undefined) return this.err(v, key, `expected a number, found ${v.kind === 'string' ? `"${v.value}"` : kindName(v)}`);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      return this.err(v, key, `${n} is out of range (${spec.min}..${spec.max})`);
    }
    return n;
  }

  bool(key: string): boolean | undefined {
    const s = this.last.get(key);
    if (!s) return undefined;
    const v = s.value;
    if (v.kind === 'number') return v.value !== 0;
    if (v.kind === 'string' && /^\d+$/.test(v.value)) return Number(v.value) !== 0;
    return this.err(v, key, `expected a boolean (0 or 1), found ${kindName(v)}`);
  }

  path(key: string): string | undefined {
    const p = this.string(key);
    if (p === undefined) return undefined;
    const s = this.last.get(key)!;
    if (p === '') return this.err(s.value, key, 'empty path');
    const abs = path.resolve(this.dir, p);
    if (!this.exists(abs)) return this.err(s.value, key, `file not found: ${abs}`);
    return abs;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      return this.err(this.last.get(key)!.value, key, `'${v}' is not one of ${values.join(', ')}`);
    }
    return v as T;
  }

  /** A string or a list of strings (serial=, viridian= groups, and the like). */
  strings(key: string): string[] | undefined {
    const s = this.last.get(key);
    if (!s) return undefined;
    const items = s.value.kind === 'list' ? s.value.items : [s.value];
    const out: string[] = [];
    for (const it of items) {
      if (it.kind !== 'string') return this.err(it, key, `expected a string, found ${kindName(it)}`);
      out.push(it.value);
    }
    return out;
  }

  cpus(key: string): CpuAffinity | undefined {
    const s = this.last.get(key);
    if (!s) return undefined;
    const one = (v: CfgValue): CpuSet | undefined => {
      const text = v.kind === 'number' ? v.text : v.kind === 'string' ? v.value : undefined;
      if (text === undefined) return this.err(v, key, 'a list of CPU lists cannot nest');
      const r = parseCpuList(text);
      return typeof r === 'string' ? this.err(v, key, r) : r;
    };
    if (s.value.kind === 'list') {
      const sets = s.value.items.map(one);
      return sets.every((x): x is CpuSet => x !== undefined) ? { kind: 'per-vcpu', sets } : undefined;
    }
    const set = one(s.value);
    return set && { kind: 'all-vcpus', set };
  }

  devices<T>(key: string, parse: (spec: string) => T | string): T[] {
    const s = this.last.get(key);
    if (!s) return [];
    const items = s.value.kind === 'list' ? s.value.items : [s.value];
    const out: T[] = [];
    items.forEach((it, i) => {
      if (it.kind !== 'string') {
        this.err(it, key, `entry ${i}: expected a quoted spec string, found ${kindName(it)}`);
        return;
      }
      const r = parse(it.value);
      if (typeof r === 'string') this.err(it, key, `entry ${i} "${it.value}": ${r}`);
      else out.push(r);
    });
    return out;
  }

  viridian(): string[] {
    const s = this.last.get('viridian');
    if (!s) return [];
    if (s.value.kind === 'number') return s.value.value !== 0 ? ['defaults'] : [];
    return this.strings('viridian') ?? [];
  }

  at(key: string): CfgSetting | undefined {
    return this.last.get(key);
  }
}

/** Parses and checks a domain config. `file` names it in diagnostics and anchors relative paths. */
export function loadDomainConfigText(text: string, file: string, opts: ConfigOptions = {}): ConfigResult {
  const sink = new DiagnosticSink(file);
  const settings = parseXlCfgText(text, sink);
  const abs = path.resolve(file);
  const b = new Builder(sink, path.dirname(abs), opts.exists ?? ((p) => fs.existsSync(p)));
  b.collect(settings);

  const start = { line: 1, col: 1 };
  const name = b.string('name');
  if (name === undefined) sink.error(start, "missing 'name' (mandatory in xl.cfg)");
  else if (name === '' || /\s/.test(name)) sink.error(b.at('name')!.value.pos, `name: '${name}' must be non-empty, without spaces`);

  const builder = b.oneOf('builder', ['generic', 'hvm'] as const);
  b.string('loader');
  const explicitType = b.oneOf('type', DOMAIN_TYPES);
  const type: DomainType = explicitType ?? (builder === 'hvm' ? 'hvm' : 'pv');
  if (explicitType && builder && (builder === 'hvm') !== (explicitType === 'hvm')) {
    sink.warning(b.at('builder')!.keyPos, `builder="${builder}" disagrees with type="${explicitType}"; type wins`);
  }

  const memory = b.int('memory') ?? DEFAULT_MEMORY_MIB;
  const maxmem = b.int('maxmem') ?? memory;
  if (maxmem < memory) sink.error(b.at('maxmem')!.value.pos, `maxmem: ${maxmem} is below memory (${memory})`);
  const vcpus = b.int('vcpus') ?? 1;
  const maxvcpus = b.int('maxvcpus') ?? vcpus;
  if (maxvcpus < vcpus) sink.error(b.at('maxvcpus')!.value.pos, `maxvcpus: ${maxvcpus} is below vcpus (${vcpus})`);

  const kernel = b.path('kernel');
  const ramdisk = b.path('ramdisk');
  let firmware = b.path('firmware_override');
  const fw = b.string('firmware');
  if (fw !== undefined && firmware === undefined && !['bios', 'uefi', 'seabios', 'rombios', 'ovmf', 'pvgrub32', 'pvgrub64'].includes(fw)) {
    firmware = b.path('firmware');
  }
  if (type === 'pv' && !b.at('kernel') && !b.at('bootloader')) {
    sink.error(start, "a PV domain needs 'kernel' (the image to boot)");
  }

  const cmdline = b.string('cmdline');
  const root = b.string('root');
  const extra = b.string('extra');
  let line = cmdline ?? [root !== undefined ? `root=${root}` : undefined, extra].filter((x) => x !== undefined).join(' ');
  if (cmdline !== undefined && (root !== undefined || extra !== undefined)) {
    sink.warning(b.at('cmdline')!.keyPos, 'cmdline is set, so root and extra are ignored (as xl does)');
  }
  line = line ?? '';

  const action = (key: string, dflt: Action) => b.oneOf(key, ACTIONS) ?? dflt;
  const cpus = b.cpus('cpus');
  if (cpus?.kind === 'per-vcpu' && cpus.sets.length > maxvcpus) {
    sink.warning(b.at('cpus')!.value.pos, `cpus: ${cpus.sets.length} entries for ${maxvcpus} vCPUs; the extra ones are unused`);
  }
  const uuid = b.string('uuid');
  if (uuid !== undefined && !/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(uuid)) {
    sink.error(b.at('uuid')!.value.pos, `uuid: '${uuid}' is not a UUID`);
  }

  const config: DomainConfig = {
    file: abs,
    dir: path.dirname(abs),
    name: name ?? '',
    type,
    memory,
    maxmem,
    vcpus,
    maxvcpus,
    kernel,
    ramdisk,
    firmware,
    cmdline: line,
    onPoweroff: action('on_poweroff', 'destroy'),
    onReboot: action('on_reboot', 'restart'),
    onCrash: action('on_crash', 'destroy'),
    onWatchdog: action('on_watchdog', 'destroy'),
    onSoftReset: action('on_soft_reset', 'soft-reset'),
    cpus,
    cpusSoft: b.cpus('cpus_soft'),
    cpuWeight: b.int('cpu_weight') ?? DEFAULT_CPU_WEIGHT,
    cap: b.int('cap') ?? 0,
    disks: b.devices('disk', (s) => parseDiskSpec(s, path.dirname(abs))),
    vifs: b.devices('vif', parseVifSpec),
    serial: b.strings('serial') ?? [],
    maxEventChannels: b.int('max_event_channels') ?? DEFAULT_MAX_EVENT_CHANNELS,
    maxGrantFrames: b.int('max_grant_frames'),
    maxMaptrackFrames: b.int('max_maptrack_frames'),
    maxGrantVersion: b.int('max_grant_version'),
    hap: b.bool('hap') ?? true,
    tscMode: b.oneOf('tsc_mode', TSC_MODES) ?? 'default',
    viridian: b.viridian(),
    shadowMemory: b.int('shadow_memory'),
    uuid,
    settings: b.settings,
  };
  const diagnostics = [...sink.list].sort((x, y) => x.line - y.line || x.col - y.col);
  return { config: sink.hasErrors ? undefined : config, diagnostics, settings };
}

/** Reads and checks a config file; an unreadable file is a diagnostic, not an exception. */
export function loadDomainConfigFile(file: string, opts: ConfigOptions = {}): ConfigResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message);
    return { diagnostics: [{ file, line: 1, col: 1, severity: 'error', message: `cannot read config: ${why}`, length: 1 }], settings: [] };
  }
  return loadDomainConfigText(text, file, opts);
}
