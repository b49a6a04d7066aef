// The trace layer: typed records, the stream, filters, JSON lines and text formatting.
export * from './records';
export * from './filter';
export * from './trace';
export * from './hypercall';
export * from './jsonl';
export * from './format';
export * from './stats';
