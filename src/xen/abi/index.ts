// Xen 4.17's guest ABI (x86, 32-bit guests): numbers, names, structure layouts and the
// hypercall decoder. Everything in generated.ts comes from /usr/include/xen.
export * from './generated';
export * from './generated-io';
export * from './types';
export * from './names';
export * from './hypercalls';
export * from './decode';
export * from './struct';
export * from './hypercall-page';

/**
 * start_info.magic for a 32-bit PAE PV guest: "xen-<version>-<platform>" (xen.h's comment on
 * start_info.magic; the version part is the interface's 3.0, not the release).
 */
export const START_INFO_MAGIC = 'xen-3.0-x86_32p';

/** The Xen xensim presents: XENVER_version returns (major << 16) | minor. */
export const XEN_MAJOR = 4;
export const XEN_MINOR = 17;
export const XENVER_VERSION_VALUE = (XEN_MAJOR << 16) | XEN_MINOR;

/** Each hypercall's stub in the hypercall page is this long (hypercall-abi guide). */
export const HYPERCALL_STUB_SIZE = 32;
export * from './vmx';
