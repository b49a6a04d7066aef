// Reverse execution: the engine (snapshots, input log, replay, reverse search) and its frame sharing.
export * from './engine';
export { distinctFrameBytes, fullCopyFrameBytes, snapshotBytes } from './frames';
