/**
 * The toolstack (xl + libxl in spirit): creates every configured domain and applies
 * on_poweroff / on_reboot / on_crash when one shuts down.
 */
import type { DomainConfig } from '../config';
import type { Hypervisor } from '../hypervisor';
import type { Domain } from '../domain';
import { buildFromConfig } from '../system';
import { resolveCpuSet } from '../config';
import { attachConsole } from './console';

/** a domain that keeps rebooting is restarted at most this many times in one run */
const MAX_RESTARTS = 16;

export class Toolstack {
  /** configs by the name they were created under */
  readonly configs: DomainConfig[];
  constructor(
    private readonly hv: Hypervisor,
    configs: readonly DomainConfig[],
    readonly withDom0: boolean,
  ) {
    this.configs = [...configs];
    hv.domainListeners.push((d, ev) => this.onShutdown(d, ev));
    for (const cfg of this.configs) this.create(cfg);
  }

  create(cfg: DomainConfig, name = cfg.name): Domain {
    const hv = this.hv;
    const d = hv.createDomain(name, { maxPages: cfg.maxmem * 256, vcpus: cfg.vcpus, config: cfg });
    d.weight = cfg.cpuWeight;
    d.cap = cfg.cap;
    if (cfg.cpus) {
      d.vcpus.forEach((v, i) => {
        const set = cfg.cpus!.kind === 'all-vcpus' ? cfg.cpus!.set : cfg.cpus!.sets[i] ?? cfg.cpus!.sets[cfg.cpus!.sets.length - 1];
        v.affinity = resolveCpuSet(set, hv.pcpus.length);
      });
    }
    // xenstore and console rings, each with a port offered to dom0 (their back ends)
    const storeEvtchn = this.offer(d);
    const consoleEvtchn = this.offer(d);
    buildFromConfig(hv, d, cfg, { storeEvtchn, consoleEvtchn });
    attachConsole(hv, d, d.consoleMfn, d.consolePort);
    hv.vcpuUp(d.vcpus[0]);
    hv.unpause(d);
    return d;
  }

  /** an unbound port in `d` that dom0 may bind */
  private offer(d: Domain): number {
    const port = this.hv.events.alloc(d);
    Object.assign(d.evtchns[port], { state: 'unbound', vcpu: 0, remoteDom: 0, remotePort: 0, virq: 0 });
    return port;
  }

  /** libxl's reaction to a domain's shutdown, as its config asks (xl.cfg on_poweroff/on_reboot/on_crash). */
  private onShutdown(d: Domain, ev: 'shutdown' | 'crashed'): void {
    const cfg = d.config;
    if (!cfg) return;
    void ev;
    const action = d.shutdownReason === 'crash' ? cfg.onCrash : d.shutdownReason === 'reboot' ? cfg.onReboot : cfg.onPoweroff;
    const hv = this.hv;
    const note = (event: 'restarted' | 'renamed' | 'preserved', detail: string) => {
      if (hv.wants('domain')) hv.emit({ kind: 'domain', ...hv.base(null), domid: d.id, event, name: d.name, reason: detail });
    };
    switch (action) {
      case 'destroy':
        hv.destroyDomain(d);
        return;
      case 'preserve':
        note('preserved', `on_${d.shutdownReason === 'crash' ? 'crash' : d.shutdownReason} = preserve`);
        return;
      case 'restart':
      case 'rename-restart': {
        if (d.restarts >= MAX_RESTARTS) {
          note('preserved', `restarted ${MAX_RESTARTS} times; left shut down`);
          return;
        }
        const restarts = d.restarts + 1;
        hv.destroyDomain(d);
        if (action === 'rename-restart') {
          d.name = `${d.name}-${d.id}`;
          note('renamed', d.name);
        }
        const nd = this.create(cfg, cfg.name);
        nd.restarts = restarts;
        note('restarted', `as d${nd.id}`);
        return;
      }
      default:
        // coredump-* actions: xensim keeps no core files; destroy as libxl does after dumping
        hv.destroyDomain(d);
    }
  }
}
