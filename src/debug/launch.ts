/**
 * The `launch` request's attributes, checked before anything starts: every problem names the
 * attribute (and, for a bad config, the file:line:col the config parser reports).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DomainConfig, formatDiagnostic, loadDomainConfigFile } from '../xen/config';

export interface LaunchArguments {
  /** xl.cfg paths, one per domU (dom0 is always there) */
  domains?: unknown;
  pcpus?: unknown;
  /** machine memory in MiB */
  memory?: unknown;
  stopOnEntry?: unknown;
  /** write the trace as JSON lines to this file */
  trace?: unknown;
  cwd?: unknown;
  /** DAP's own: start without debugging */
  noDebug?: unknown;
}

export interface LaunchConfig {
  configs: DomainConfig[];
  pcpus?: number;
  memoryMiB?: number;
  stopOnEntry: boolean;
  /** absolute */
  trace?: string;
  cwd: string;
  noDebug: boolean;
  /** warnings from the config files, to show as output */
  warnings: string[];
}

export class LaunchError extends Error {
  constructor(
    readonly attribute: string,
    message: string,
  ) {
    super(`launch attribute '${attribute}': ${message}`);
  }
}

// The ranges `xensim run` accepts (--pcpus, --memory): a 32-bit machine below 4 GiB.
const PCPUS = [1, 64] as const;
const MEMORY_MIB = [16, 4095] as const;

function wholeNumber(args: LaunchArguments, key: 'pcpus' | 'memory', [min, max]: readonly [number, number]): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new LaunchError(key, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks `args` against the file system (relative paths resolve against `cwd`, else `defaultCwd`). */
export function parseLaunchArguments(raw: unknown, defaultCwd: string): LaunchConfig {
  if (typeof raw !== 'object' || raw === null) throw new LaunchError('domains', 'missing: launch needs arguments with a domains list of xl.cfg files');
  const args = raw as LaunchArguments;

  let cwd = defaultCwd;
  if (args.cwd !== undefined && args.cwd !== null) {
    if (typeof args.cwd !== 'string' || args.cwd === '') throw new LaunchError('cwd', 'must be a directory path');
    cwd = path.resolve(defaultCwd, args.cwd);
    if (!fs.existsSync(cwd) || !fs.statSync(cwd).isDirectory()) throw new LaunchError('cwd', `${cwd}: no such directory`);
  }

  const domains = args.domains;
  if (domains === undefined || domains === null) throw new LaunchError('domains', 'missing: list the xl.cfg files of the domains to start');
  if (!Array.isArray(domains) || domains.length === 0) throw new LaunchError('domains', 'must be a non-empty array of xl.cfg paths');
  const configs: DomainConfig[] = [];
  const warnings: string[] = [];
  domains.forEach((d, i) => {
    if (typeof d !== 'string' || d === '') throw new LaunchError(`domains[${i}]`, `must be a path to an xl.cfg file, not ${JSON.stringify(d)}`);
    const file = path.resolve(cwd, d);
    const result = loadDomainConfigFile(file);
    const errors = result.diagnostics.filter((x) => x.severity === 'error');
    if (errors.length || !result.config) {
      throw new LaunchError(`domains[${i}]`, errors.map(formatDiagnostic).join('\n') || `${file}: not a domain config`);
    }
    warnings.push(...result.diagnostics.map(formatDiagnostic));
    configs.push(result.config);
  });
  const names = new Map<string, number>();
  configs.forEach((c, i) => {
    const prev = names.get(c.name);
    if (prev !== undefined) throw new LaunchError(`domains[${i}]`, `${c.file}: name '${c.name}' is already used by domains[${prev}]`);
    names.set(c.name, i);
  });

  const pcpus = wholeNumber(args, 'pcpus', PCPUS);
  const memoryMiB = wholeNumber(args, 'memory', MEMORY_MIB);

  const stopOnEntry = args.stopOnEntry ?? false;
  if (typeof stopOnEntry !== 'boolean') throw new LaunchError('stopOnEntry', `must be true or false, not ${JSON.stringify(stopOnEntry)}`);
  const noDebug = args.noDebug ?? false;
  if (typeof noDebug !== 'boolean') throw new LaunchError('noDebug', 'must be true or false');

  let trace: string | undefined;
  if (args.trace !== undefined && args.trace !== null) {
    if (typeof args.trace !== 'string' || args.trace === '') throw new LaunchError('trace', 'must be a file path');
    trace = path.resolve(cwd, args.trace);
    const dir = path.dirname(trace);
    if (!fs.existsSync(dir)) throw new LaunchError('trace', `${dir}: no such directory for the trace file`);
  }
  return { configs, pcpus, memoryMiB, stopOnEntry, trace, cwd, noDebug, warnings };
}
