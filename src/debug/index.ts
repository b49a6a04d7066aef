// The debug layer's public face: the session (wrap it in vscode.DebugAdapterInlineImplementation
// for in-process use), the transports and the pieces other layers may reuse.
export { XenDebugSession, threadIdOf, threadOfId } from './session';
export type { SessionOptions } from './session';
export { keepAlive, serveStreams, listenTcp } from './server';
export { defaultMachine } from './runtime';
export type { MachineFactory, BootRequest } from './machine';
export { parseMemoryReference, formatMemoryReference } from './memref';
export { compile as compileExpression } from './expr';
export { DOMAINS_REQUEST, domainsBody } from './domains';
export type { DomainsBody, DomainsEntry, DomainsVcpu } from './domains';
