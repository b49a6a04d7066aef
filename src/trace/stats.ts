// Per-domain counts read off the trace (the CLI's end-of-run summary, the debugger's
// domain scope): hypercalls by name, failed ones, events, faults, lifecycle.
import { DomainEvent, TraceRecord } from './records';
import { TraceListener } from './trace';

export interface DomainStats {
  hypercalls: number;
  /** Exits with a negative result (a Xen errno). */
  hypercallErrors: number;
  byHypercall: Map<string, number>;
  eventsSent: number;
  eventsDelivered: number;
  trapBounces: number;
  faults: number;
  vmExits: number;
  consoleBytes: number;
  /** Last lifecycle event and its reason (`shutdown`, `SHUTDOWN_poweroff`). */
  lastEvent?: DomainEvent;
  lastReason?: string;
}

export class TraceStats {
  readonly domains = new Map<number, DomainStats>();

  readonly listener: TraceListener = (r) => this.add(r);

  of(domid: number): DomainStats {
    let s = this.domains.get(domid);
    if (!s) {
      s = { hypercalls: 0, hypercallErrors: 0, byHypercall: new Map(), eventsSent: 0, eventsDelivered: 0, trapBounces: 0, faults: 0, vmExits: 0, consoleBytes: 0 };
      this.domains.set(domid, s);
    }
    return s;
  }

  add(r: TraceRecord): void {
    const s = this.of(r.domid);
    switch (r.kind) {
      case 'hypercall-entry':
        s.hypercalls++;
        s.byHypercall.set(r.name, (s.byHypercall.get(r.name) ?? 0) + 1);
        break;
      case 'hypercall-exit':
        if (r.result < 0) s.hypercallErrors++;
        break;
      case 'event-send':
        s.eventsSent++;
        break;
      case 'event-deliver':
        s.eventsDelivered++;
        break;
      case 'trap-bounce':
        s.trapBounces++;
        break;
      case 'fault':
        s.faults++;
        break;
      case 'vm-exit':
        s.vmExits++;
        break;
      case 'console':
        s.consoleBytes += r.text.length;
        break;
      case 'domain':
        s.lastEvent = r.event;
        s.lastReason = r.reason;
        break;
      default:
        break;
    }
  }
}
