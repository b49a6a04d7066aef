// Device specification strings of disk= (xl-disk-configuration(5)) and vif=
// (xl-network-configuration(5)).
import * as path from 'path';

export interface DiskSpec {
  /** Absolute path of the image (resolved against the config file's folder); absent for an empty cdrom. */
  readonly target?: string;
  readonly format: string;
  /** Guest device name: xvda, hda, sdb… */
  readonly vdev: string;
  readonly access: 'rw' | 'ro';
  readonly devtype: 'disk' | 'cdrom';
  /** The spec as written. */
  readonly spec: string;
}

export interface VifSpec {
  readonly mac?: string;
  readonly bridge?: string;
  readonly model?: string;
  readonly type?: string;
  /** Every key=value of the spec, including the ones above. */
  readonly settings: Readonly<Record<string, string>>;
  readonly spec: string;
}

const FORMATS = ['raw', 'qcow', 'qcow2', 'vhd', 'qed'];
const DEPRECATED_PREFIXES = ['raw', 'qcow', 'qcow2', 'vhd', 'qed', 'phy', 'file', 'tap', 'tap2', 'aio'];

function access(v: string): 'rw' | 'ro' | undefined {
  if (v === '' || v === 'rw' || v === 'w') return 'rw';
  if (v === 'ro' || v === 'r') return 'ro';
  return undefined;
}

/** Parses one DISKSPEC; returns an error message when it is malformed. */
export function parseDiskSpec(spec: string, baseDir: string): DiskSpec | string {
  let target: string | undefined;
  let format = '';
  let vdev = '';
  let acc = '';
  let devtype = '';
  const named = new Set<string>();
  let rest = spec;
  // target= consumes the rest of the spec, commas included.
  const t = /(^|,)\s*target=/.exec(rest);
  if (t) {
    target = rest.slice(t.index + t[0].length);
    rest = rest.slice(0, t.index);
    named.add('target');
  }
  const parts = rest === '' ? [] : rest.split(',').map((p) => p.trim());
  // Deprecated 3-field form: [<format>:]<target>,<vdev>[:<devtype>],<access>
  const pfx = parts.length === 3 ? /^([a-z0-9]+):(.*)$/.exec(parts[0]) : null;
  if (pfx && DEPRECATED_PREFIXES.includes(pfx[1]) && !parts.some((p) => p.includes('='))) {
    const [vd, dt] = parts[1].split(':');
    target = pfx[2];
    format = FORMATS.includes(pfx[1]) ? pfx[1] : 'raw';
    vdev = vd;
    devtype = dt ?? '';
    acc = parts[2];
  } else {
    const positional = ['target', 'format', 'vdev', 'access'];
    let next = 0;
    for (const p of parts) {
      const kv = /^([a-z_-]+)=(.*)$/.exec(p);
      if (kv) {
        const [, k, v] = kv;
        if (named.has(k)) return `'${k}' given twice`;
        named.add(k);
        if (k === 'format') format = v;
        else if (k === 'vdev') vdev = v;
        else if (k === 'access') acc = v;
        else if (k === 'devtype') devtype = v;
        else if (!['backend', 'backendtype', 'script', 'discard', 'no-discard', 'colo', 'direct-io-safe', 'trusted', 'untrusted', 'specification'].includes(k)) {
          return `unknown disk parameter '${k}'`;
        }
        continue;
      }
      if (p === 'cdrom') {
        devtype = 'cdrom';
        continue;
      }
      if (['discard', 'no-discard', 'direct-io-safe', 'trusted', 'untrusted', 'colo'].includes(p)) continue;
      while (next < positional.length && named.has(positional[next])) next++;
      if (next >= positional.length) return `too many positional parameters ('${p}')`;
      const k = positional[next++];
      named.add(k);
      if (k === 'target') target = p;
      else if (k === 'format') format = p;
      else if (k === 'vdev') vdev = p;
      else acc = p;
    }
  }
  if (format !== '' && !FORMATS.includes(format)) return `unknown disk format '${format}' (${FORMATS.join(', ')})`;
  if (vdev === '') return 'no vdev (the guest device name, e.g. xvda)';
  const a = access(acc);
  if (!a) return `access '${acc}' is not r, ro, w or rw`;
  if (devtype !== '' && devtype !== 'disk' && devtype !== 'cdrom') return `devtype '${devtype}' is not disk or cdrom`;
  const dt = devtype === 'cdrom' ? 'cdrom' : 'disk';
  if ((target === undefined || target === '') && dt !== 'cdrom') return 'no target (the image file)';
  return {
    target: target ? path.resolve(baseDir, target) : undefined,
    format: format || 'raw',
    vdev,
    access: dt === 'cdrom' && acc === '' ? 'ro' : a,
    devtype: dt,
    spec,
  };
}

/** Parses one vifspec (comma-separated key=value); returns an error message when malformed. */
export function parseVifSpec(spec: string): VifSpec | string {
  const settings: Record<string, string> = {};
  for (const p of spec.split(',').map((x) => x.trim())) {
    if (p === '') continue;
    const kv = /^([a-z_]+)=(.*)$/.exec(p);
    if (!kv) return `'${p}' is not key=value`;
    if (kv[1] in settings) return `'${kv[1]}' given twice`;
    settings[kv[1]] = kv[2];
  }
  if (settings.mac !== undefined && !/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/.test(settings.mac)) {
    return `mac '${settings.mac}' is not six hex bytes separated by ':'`;
  }
  return { mac: settings.mac, bridge: settings.bridge, model: settings.model, type: settings.type, settings, spec };
}
