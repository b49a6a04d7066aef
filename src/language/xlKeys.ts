/**
 * The option keys of an xl domain configuration (xl.cfg(5), Xen 4.17): the grammar's
 * "known key" list, hover text and completion items of the language server. Keys xensim
 * acts on take their text from the config parser (src/xen/config/keys.ts); the others have
 * short paraphrases here (the man page is the authority) and are marked not simulated.
 */
import { ACTIONS as XL_ACTIONS, DOMAIN_TYPES, KEYS } from '../xen/config';

export type XlValueKind = 'string' | 'number' | 'boolean' | 'list';

export interface XlKeyInfo {
  readonly key: string;
  readonly kind: XlValueKind;
  readonly summary: string;
  /** the values the key accepts, when it is an enumeration */
  readonly values?: readonly string[];
  /** xensim acts on the key (else the config parser accepts it with a warning, or not at all) */
  readonly simulated: boolean;
  /** the value names a file, relative to the config's folder */
  readonly path: boolean;
}

/** Stands for "the parser's one-line doc" in the table below. */
const SIMULATED = '';

const ACTIONS: readonly string[] = XL_ACTIONS;

const table: XlKeyInfo[] = [];
function key(name: string, kind: XlValueKind, summary: string, values?: readonly string[]): void {
  const spec = KEYS[name];
  const info = { key: name, kind, summary: spec?.doc ?? summary, simulated: spec !== undefined, path: spec?.kind === 'path' };
  table.push(values ? { ...info, values } : info);
}

// identity and guest type
key('name', 'string', SIMULATED);
key('type', 'string', SIMULATED, DOMAIN_TYPES);
key('builder', 'string', SIMULATED, ['generic', 'hvm']);
key('loader', 'string', SIMULATED);
key('uuid', 'string', SIMULATED);
key('pool', 'string', 'CPU pool the vCPUs are placed in');
key('seclabel', 'string', 'XSM security label of the domain');
key('init_seclabel', 'string', 'XSM label used only while the domain is being built');
// CPUs
key('vcpus', 'number', SIMULATED);
key('maxvcpus', 'number', SIMULATED);
key('cpus', 'string', SIMULATED);
key('cpus_soft', 'string', SIMULATED);
key('cpu_weight', 'number', SIMULATED);
key('cap', 'number', SIMULATED);
// memory
key('memory', 'number', SIMULATED);
key('maxmem', 'number', SIMULATED);
key('vnuma', 'list', 'Virtual NUMA nodes of the guest');
key('max_grant_frames', 'number', SIMULATED);
key('max_maptrack_frames', 'number', SIMULATED);
key('max_grant_version', 'number', SIMULATED, ['1', '2']);
key('max_event_channels', 'number', SIMULATED);
// lifecycle
key('on_poweroff', 'string', SIMULATED, ACTIONS);
key('on_reboot', 'string', SIMULATED, ACTIONS);
key('on_watchdog', 'string', SIMULATED, ACTIONS);
key('on_crash', 'string', SIMULATED, ACTIONS);
key('on_soft_reset', 'string', SIMULATED, ACTIONS);
// boot
key('kernel', 'string', SIMULATED);
key('ramdisk', 'string', SIMULATED);
key('cmdline', 'string', SIMULATED);
key('root', 'string', SIMULATED);
key('extra', 'string', SIMULATED);
key('firmware', 'string', SIMULATED, ['pvgrub32', 'pvgrub64', 'bios', 'uefi', 'seabios', 'rombios', 'ovmf']);
key('firmware_override', 'string', SIMULATED);
key('bootloader', 'string', 'Program run in dom0 to find the kernel and ramdisk');
key('bootloader_args', 'list', 'Arguments passed to the bootloader');
key('pvshim', 'boolean', 'Run this PV guest inside a PVH container with the PV shim');
key('pvshim_path', 'string', 'PV shim image');
key('pvshim_cmdline', 'string', 'PV shim command line');
key('pvshim_extra', 'string', 'Extra PV shim arguments');
key('device_tree', 'string', 'Arm: partial device tree for the guest');
// devices
key('disk', 'list', SIMULATED);
key('vif', 'list', SIMULATED);
key('vtpm', 'list', 'Virtual TPM devices');
key('p9', 'list', '9pfs shares from a back end to the guest');
key('pvcalls', 'list', 'PV calls connections');
key('vfb', 'list', 'Paravirtual framebuffers');
key('vkb', 'list', 'Paravirtual keyboards');
key('vdispl', 'list', 'Paravirtual displays');
key('connectors', 'string', 'Connectors of a paravirtual display (part of a vdispl spec)');
key('vsnd', 'list', 'Paravirtual sound cards');
key('channel', 'list', 'Virtual channels (PV consoles with a name)');
key('serial', 'list', SIMULATED);
key('usbctrl', 'list', 'USB controllers');
key('usbdev', 'list', 'USB devices attached at boot');
key('pci', 'list', 'Host PCI devices passed through');
key('pci_permissive', 'boolean', 'Default permissive mode of passed-through PCI devices');
key('pci_msitranslate', 'boolean', 'Default msitranslate of passed-through PCI devices');
key('pci_seize', 'boolean', 'Seize passed-through PCI devices from their dom0 drivers');
key('pci_power_mgmt', 'boolean', 'HVM: default power management of passed-through PCI devices');
key('dtdev', 'list', 'Arm: host device tree nodes passed through');
key('ioports', 'list', 'Legacy I/O port ranges the guest may access, e.g. [ "3f8-3ff" ]');
key('iomem', 'list', 'Machine memory pages the guest may map, e.g. [ "fee00,1" ]');
key('irqs', 'list', 'Physical IRQs the guest may use');
key('rdm', 'string', 'HVM: reserved device memory policy');
key('rdm_mem_boundary', 'number', 'HVM: MiB boundary used when checking reserved device memory');
key('gfx_passthru', 'boolean', 'Pass the host graphics card through');
key('passthrough', 'string', 'IOMMU mappings for passthrough', ['disabled', 'enabled', 'share_pt', 'sync_pt']);
// misc
key('nomigrate', 'boolean', 'Forbid migration of the domain');
key('driver_domain', 'boolean', 'The domain runs device back ends');
key('xend_suspend_evtchn_compat', 'boolean', 'Omit the xenstore path of the suspend event channel');
key('vmtrace_buf_kb', 'number', 'Per-vCPU processor trace buffer, in KiB');
key('vpmu', 'boolean', 'Arm: virtual PMU');
key('dm_restrict', 'boolean', 'Restrict the device model after start-up');
key('device_model_user', 'string', 'User the restricted device model runs as');
key('tee', 'string', 'Arm: trusted execution environment mediator', ['none', 'optee']);
key('e820_host', 'boolean', 'PV: give the guest the host memory map');
key('msr_relaxed', 'boolean', 'x86: let guest reads of unknown MSRs return 0 instead of #GP');
key('mca_caps', 'list', 'HVM: extra machine-check capabilities');
key('gic_version', 'string', 'Arm: emulated interrupt controller version', ['v2', 'v3']);
key('vuart', 'string', 'Arm: virtual UART for the console', ['uart']);
// display
key('vnc', 'boolean', 'HVM: VNC access to the display');
key('vnclisten', 'string', 'VNC listen address[:display]');
key('vncdisplay', 'number', 'VNC display number');
key('vncunused', 'boolean', 'Search for a free VNC port');
key('vncpasswd', 'string', 'VNC password');
key('sdl', 'boolean', 'Show the display in an SDL window');
key('display', 'string', 'X display used by SDL');
key('xauthority', 'string', 'X authority file used by SDL');
key('opengl', 'boolean', 'OpenGL acceleration of the SDL display');
key('keymap', 'string', 'Keyboard layout, e.g. "en-us"');
key('nographic', 'boolean', 'No emulated graphics');
key('stdvga', 'boolean', 'Deprecated: emulate a standard VGA card');
key('vga', 'string', 'Emulated graphics card', ['stdvga', 'cirrus', 'qxl', 'none']);
key('videoram', 'number', 'Video RAM of the emulated card, in MiB');
key('spice', 'boolean', 'SPICE access to the display');
key('spicehost', 'string', 'SPICE listen address');
key('spiceport', 'number', 'SPICE port');
key('spicetls_port', 'number', 'SPICE TLS port');
key('spicedisable_ticketing', 'boolean', 'SPICE without a password');
key('spicepasswd', 'string', 'SPICE password');
key('spiceagent_mouse', 'boolean', 'SPICE agent client mouse mode');
key('spicevdagent', 'boolean', 'SPICE vdagent');
key('spice_clipboard_sharing', 'boolean', 'SPICE clipboard sharing');
key('spiceusbredirection', 'number', 'Number of SPICE USB redirection channels');
key('spice_image_compression', 'string', 'SPICE image compression');
key('spice_streaming_video', 'string', 'SPICE video streaming');
// HVM platform
key('boot', 'string', 'HVM boot order: c = hard disk, d = CD-ROM, n = network');
key('hdtype', 'string', 'HVM emulated disk controller', ['ide', 'ahci']);
key('hap', 'boolean', SIMULATED);
key('oos', 'boolean', 'Out-of-sync shadow page tables');
key('shadow_memory', 'number', SIMULATED);
key('bios', 'string', 'HVM firmware loaded by hvmloader', ['rombios', 'seabios', 'ovmf']);
key('bios_path_override', 'string', 'Path of the BIOS blob');
key('pae', 'boolean', 'HVM: expose PAE');
key('acpi', 'boolean', 'HVM: ACPI tables');
key('acpi_s3', 'boolean', 'HVM: ACPI S3 (suspend to RAM)');
key('acpi_s4', 'boolean', 'HVM: ACPI S4 (suspend to disk)');
key('acpi_laptop_slate', 'boolean', 'HVM: laptop/slate switch device');
key('acpi_firmware', 'string', 'Extra ACPI tables file');
key('smbios_firmware', 'string', 'Extra SMBIOS structures file');
key('apic', 'boolean', 'HVM: describe the APIC in the firmware tables');
key('nx', 'boolean', 'Expose the no-execute page bit');
key('hpet', 'boolean', 'HVM: emulate an HPET');
key('altp2m', 'string', 'Alternate P2M mode', ['disabled', 'mixed', 'external', 'limited']);
key('altp2mhvm', 'boolean', 'Deprecated: guest access to alternate P2M');
key('nestedhvm', 'boolean', 'Expose VMX/SVM to the guest (nested virtualisation)');
key('cpuid', 'string', 'CPUID policy overrides, e.g. "host,tm=0"');
key('ms_vm_genid', 'string', 'VM generation ID', ['generate', 'none']);
key('tsc_mode', 'string', 'How the TSC is presented to the guest', ['default', 'always_emulate', 'native', 'native_paravirt']);
key('localtime', 'boolean', 'RTC in local time instead of UTC');
key('rtc_timeoffset', 'number', 'RTC offset, in seconds');
key('vpt_align', 'boolean', 'Align periodic virtual timers');
key('timer_mode', 'string', 'Virtual timer mode for missed ticks', ['delay_for_missed_ticks', 'no_delay_for_missed_ticks', 'no_missed_ticks_pending', 'one_missed_tick_pending']);
key('mmio_hole', 'number', 'MMIO hole below 4 GiB, in MiB');
key('xen_platform_pci', 'boolean', 'HVM: Xen platform PCI device (for PV drivers)');
key('viridian', 'list', SIMULATED);
key('soundhw', 'string', 'Emulated sound card');
key('vkb_device', 'boolean', 'HVM: paravirtual keyboard device');
key('usb', 'boolean', 'HVM: emulated USB bus');
key('usbversion', 'number', 'HVM: emulated USB version', ['1', '2', '3']);
key('usbdevice', 'list', 'HVM: devices on the emulated USB bus');
key('vendor_device', 'string', 'Xen PV device variant in QEMU', ['xenserver']);
// device model
key('device_model_version', 'string', 'Device model (QEMU) variant', ['qemu-xen', 'qemu-xen-traditional']);
key('device_model_override', 'string', 'Device model binary');
key('device_model_stubdomain_override', 'boolean', 'Run the device model in a stub domain');
key('device_model_stubdomain_seclabel', 'string', 'XSM label of the device-model stub domain');
key('device_model_args', 'list', 'Extra device-model arguments');
key('device_model_args_pv', 'list', 'Extra device-model arguments for PV guests');
key('device_model_args_hvm', 'list', 'Extra device-model arguments for HVM guests');
key('stubdomain_kernel', 'string', 'Stub domain kernel');
key('stubdomain_cmdline', 'string', 'Stub domain command line');
key('stubdomain_ramdisk', 'string', 'Stub domain ramdisk');
key('stubdomain_memory', 'number', 'Stub domain memory, in MiB');

/** Every known key, in man-page order of topics. */
export const XL_KEYS: readonly XlKeyInfo[] = table;

const byKey = new Map(table.map((k) => [k.key, k]));

/** The key of that name, or undefined. */
export function xlKey(name: string): XlKeyInfo | undefined {
  return byKey.get(name);
}
