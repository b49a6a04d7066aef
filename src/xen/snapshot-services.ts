/**
 * The registry through which snapshot.ts saves and restores state that lives beside the
 * hypervisor rather than in it (grant tables, xenstored, ...): each service registers a
 * save/restore pair of plain data once, at module load, and snapshot.ts calls them all.
 * `save` returns undefined when the service has not been used on this hypervisor; `restore`
 * then gets undefined and must return the service to "not used yet" (or to empty).
 */
import type { Hypervisor } from './hypervisor';

export interface SnapshotService {
  /** unique key in a snapshot */
  readonly name: string;
  save(hv: Hypervisor): unknown;
  restore(hv: Hypervisor, state: unknown): void;
}

const services = new Map<string, SnapshotService>();

export function registerSnapshotService(s: SnapshotService): void {
  if (services.has(s.name)) throw new Error(`internal: snapshot service ${s.name} registered twice`);
  services.set(s.name, s);
}

export function saveServices(hv: Hypervisor): Map<string, unknown> {
  return new Map([...services.values()].map((s) => [s.name, s.save(hv)]));
}

/** Services restore in registration order; one absent from the snapshot restores to undefined. */
export function restoreServices(hv: Hypervisor, saved: Map<string, unknown>): void {
  for (const s of services.values()) s.restore(hv, saved.get(s.name));
}
