// Images: ELF32 and flat binaries into memory through an injected writer; symbols and Xen notes.
export * from './errors';
export * from './elf';
export * from './xen-notes';
export * from './xen-elfnote';
export * from './load';
export * from './symbols';
