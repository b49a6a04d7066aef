// xl.cfg(5) domain configuration: syntax, typed keys, devices, CPU lists, diagnostics.
export * from './diagnostics';
export * from './parse';
export * from './keys';
export * from './cpulist';
export * from './devices';
export * from './config';
