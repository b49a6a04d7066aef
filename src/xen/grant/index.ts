// Grant tables (xen/common/grant_table.c): the mechanism, its per-domain state and what it needs injected.
export * from './env';
export * from './table';
export * from './grants';
export * from './version';
