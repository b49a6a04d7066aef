// The xl.cfg(5) keys xensim knows: the ones it acts on (typed in DomainConfig) and the ones
// xl accepts that xensim does not simulate (accepted with a warning, never silently).

export type KeyKind =
  | 'string'
  | 'path'
  | 'int'
  | 'bool'
  | 'action'
  | 'type'
  | 'cpulist'
  | 'disks'
  | 'vifs'
  | 'strings'
  | 'viridian';

export interface KeySpec {
  readonly kind: KeyKind;
  /** One line for hover and completion in the editor. */
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** Accepted for compatibility with older xl; has no effect. */
  readonly legacy?: boolean;
}

export const ACTIONS = ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart', 'soft-reset'] as const;
export type Action = (typeof ACTIONS)[number];

export const TSC_MODES = ['default', 'always_emulate', 'native', 'native_paravirt'] as const;
export type TscMode = (typeof TSC_MODES)[number];

export const DOMAIN_TYPES = ['pv', 'pvh', 'hvm'] as const;
export type DomainType = (typeof DOMAIN_TYPES)[number];

/** Keys xensim acts on. */
export const KEYS: Readonly<Record<string, KeySpec>> = {
  name: { kind: 'string', doc: 'The domain name (mandatory); the console prefixes its lines with it.' },
  type: { kind: 'type', doc: 'Guest type: "pv" (default), "pvh" or "hvm".' },
  builder: { kind: 'string', doc: 'Legacy guest type: "generic" (PV) or "hvm"; superseded by type.', legacy: true },
  loader: { kind: 'string', doc: 'Legacy loader selection; ignored by modern xl.', legacy: true },
  memory: { kind: 'int', doc: 'Memory at start, in MiB (default 32).', min: 1, max: 1 << 20 },
  maxmem: { kind: 'int', doc: 'Maximum memory in MiB; at least memory (default: memory).', min: 1, max: 1 << 20 },
  vcpus: { kind: 'int', doc: 'vCPUs online at start (default 1).', min: 1, max: 128 },
  maxvcpus: { kind: 'int', doc: 'Maximum vCPUs; the ones above vcpus start offline (default: vcpus).', min: 1, max: 128 },
  kernel: { kind: 'path', doc: 'Kernel image (ELF, flat binary or .asm source), relative to this file.' },
  ramdisk: { kind: 'path', doc: 'Initial ramdisk, relative to this file.' },
  cmdline: { kind: 'string', doc: 'Kernel command line (replaces root and extra).' },
  root: { kind: 'string', doc: 'Appends root=STRING to the command line (when cmdline is absent).' },
  extra: { kind: 'string', doc: 'Appended to the command line (when cmdline is absent).' },
  firmware: { kind: 'string', doc: 'Firmware: a path, or bios/uefi/seabios/ovmf/pvgrub32/pvgrub64.' },
  firmware_override: { kind: 'path', doc: 'HVM: load this file as the firmware (XTF boots its kernels this way).' },
  on_poweroff: { kind: 'action', doc: 'Action when the guest powers off (default destroy).' },
  on_reboot: { kind: 'action', doc: 'Action when the guest reboots (default restart).' },
  on_crash: { kind: 'action', doc: 'Action when the guest crashes (default destroy).' },
  on_watchdog: { kind: 'action', doc: 'Action on a watchdog timeout (default destroy).' },
  on_soft_reset: { kind: 'action', doc: 'Action on a soft reset (default soft-reset).' },
  cpus: { kind: 'cpulist', doc: 'pCPUs the vCPUs may run on (hard affinity): "all", "0-3,^1", or a list per vCPU.' },
  cpus_soft: { kind: 'cpulist', doc: 'pCPUs the vCPUs prefer (soft affinity), as cpus.' },
  cpu_weight: { kind: 'int', doc: 'Credit scheduler weight, 1..65535 (default 256).', min: 1, max: 65535 },
  cap: { kind: 'int', doc: 'CPU cap in percent of one pCPU; 0 = none (default 0).', min: 0, max: 12800 },
  disk: { kind: 'disks', doc: 'Virtual disks: [ "target,format,vdev,access", ... ] (xl-disk-configuration(5)).' },
  vif: { kind: 'vifs', doc: 'Virtual network interfaces: [ "mac=...,bridge=...", ... ].' },
  serial: { kind: 'strings', doc: 'HVM serial ports, redirected to DEVICEs.' },
  max_event_channels: { kind: 'int', doc: 'Event channel limit (default 1023); more binds fail with -ENOSPC.', min: 1, max: 131072 },
  max_grant_frames: { kind: 'int', doc: 'Grant table frames the domain may use.', min: 1, max: 4096 },
  max_maptrack_frames: { kind: 'int', doc: 'Maptrack frames the domain may use.', min: 0, max: 4096 },
  max_grant_version: { kind: 'int', doc: 'Highest grant table version (1 or 2).', min: 1, max: 2 },
  hap: { kind: 'bool', doc: 'HVM: hardware-assisted paging (default 1); with 0 Xen shadows the page tables and intercepts invlpg, CR3 and #PF.' },
  tsc_mode: { kind: 'string', doc: 'TSC: "default" or "native" (rdtsc runs natively), "always_emulate" (every rdtsc exits to Xen), "native_paravirt".' },
  viridian: { kind: 'viridian', doc: 'HVM: Hyper-V enlightenments, a boolean or a list of groups.' },
  shadow_memory: { kind: 'int', doc: 'HVM: MiB for shadow or HAP page tables.', min: 0, max: 1 << 20 },
  uuid: { kind: 'string', doc: 'The domain UUID.' },
};

/**
 * Keys xl accepts that xensim does not simulate (xl.cfg(5) of Xen 4.17). Accepted with a
 * warning so a config written for real Xen still runs.
 */
export const UNSIMULATED_KEYS: readonly string[] = [
  'acpi', 'acpi_firmware', 'acpi_laptop_slate', 'acpi_s3', 'acpi_s4', 'altp2m', 'altp2mhvm', 'apic', 'bios',
  'bios_path_override', 'boot', 'bootloader', 'bootloader_args', 'channel', 'connectors', 'cpuid', 'device_model_args',
  'device_model_args_hvm', 'device_model_args_pv', 'device_model_override', 'device_model_stubdomain_override',
  'device_model_stubdomain_seclabel', 'device_model_user', 'device_model_version', 'device_tree', 'display', 'dm_restrict',
  'driver_domain', 'dtdev', 'e820_host', 'gfx_passthru', 'gic_version', 'hdtype', 'hpet', 'init_seclabel', 'iomem',
  'ioports', 'irqs', 'keymap', 'localtime', 'mca_caps', 'mmio_hole', 'ms_vm_genid', 'msr_relaxed', 'nestedhvm',
  'nographic', 'nomigrate', 'nx', 'oos', 'opengl', 'p9', 'pae', 'passthrough', 'pci', 'pci_msitranslate', 'pci_permissive',
  'pci_power_mgmt', 'pci_seize', 'pool', 'pvcalls', 'pvshim', 'pvshim_cmdline', 'pvshim_extra', 'pvshim_path', 'rdm',
  'rdm_mem_boundary', 'rtc_timeoffset', 'sdl', 'seclabel', 'smbios_firmware', 'soundhw', 'spice',
  'spice_clipboard_sharing', 'spice_image_compression', 'spice_streaming_video', 'spiceagent_mouse',
  'spicedisable_ticketing', 'spicehost', 'spicepasswd', 'spiceport', 'spicetls_port', 'spiceusbredirection',
  'spicevdagent', 'stdvga', 'stubdomain_cmdline', 'stubdomain_kernel', 'stubdomain_memory', 'stubdomain_ramdisk',
  'tee', 'timer_mode', 'usb', 'usbctrl', 'usbdev', 'usbdevice', 'usbversion', 'vdispl', 'vendor_device',
  'vfb', 'vga', 'videoram', 'vkb', 'vkb_device', 'vmtrace_buf_kb', 'vnc', 'vncdisplay', 'vnclisten', 'vncpasswd',
  'vncunused', 'vnuma', 'vpmu', 'vpt_align', 'vsnd', 'vtpm', 'vuart', 'xauthority', 'xen_platform_pci', 'xend_suspend_evtchn_compat',
];

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The known key nearest to `key`, if it is close enough to be a likely typo. */
export function nearestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of [...Object.keys(KEYS), ...UNSIMULATED_KEYS]) {
    const d = distance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
