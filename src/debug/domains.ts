/**
 * The `xensim/domains` custom request: one snapshot of every domain, its vCPUs, event channels
 * and grants, plus the machine's virtual time and instructions retired. The extension's
 * "Xen Domains" view and status bar ask for it at each stop; any DAP client may. Read only
 * through Inspectable, like everything else in this layer.
 */
import type { Inspectable, XenStateNode } from '../xen/inspect';

export const DOMAINS_REQUEST = 'xensim/domains';

export interface DomainsVcpu {
  vcpu: number;
  /** the DAP thread of this vCPU (session.ts threadIdOf) */
  threadId: number;
  runstate: string;
  pcpu: number;
  eip: number;
  /** what the vCPU is doing inside Xen, when stopped there */
  inXen?: string;
}

export interface DomainsEntry {
  id: number;
  name: string;
  kind: string;
  privileged: boolean;
  state: string;
  shutdownReason?: string;
  pages: number;
  maxPages: number;
  configFile?: string;
  vcpus: DomainsVcpu[];
  /** one row per bound port (`port 3`: `interdomain remote d0:5 vcpu0 pending`) */
  eventChannels: XenStateNode[];
  /** the grant table as the hypervisor reports it (empty when it reports none) */
  grants: XenStateNode[];
}

export interface DomainsBody {
  timeNs: number;
  instructions: number;
  pcpus: number;
  domains: DomainsEntry[];
}

const childrenOf = (nodes: XenStateNode[], name: RegExp): XenStateNode[] => nodes.find((n) => name.test(n.name))?.children ?? [];

export function domainsBody(ins: Inspectable, threadIdOf: (t: { domid: number; vcpu: number }) => number): DomainsBody {
  const domains = ins.domains().filter((d) => d.state !== 'destroyed').map((d): DomainsEntry => {
    const live = d.state !== 'dying' && d.vcpus > 0;
    const xen = live ? ins.xenState(d.id, 0) : [];
    const vcpus = live
      ? ins.vcpus(d.id).map((v) => ({
          vcpu: v.vcpu,
          threadId: threadIdOf({ domid: d.id, vcpu: v.vcpu }),
          runstate: v.runstate,
          pcpu: v.pcpu,
          eip: ins.cpuState(d.id, v.vcpu).eip >>> 0,
          inXen: v.activity?.description,
        }))
      : [];
    return {
      id: d.id,
      name: d.name,
      kind: d.kind,
      privileged: d.privileged,
      state: d.state,
      shutdownReason: d.shutdownReason,
      pages: d.pages,
      maxPages: d.maxPages,
      configFile: d.configFile,
      vcpus,
      eventChannels: childrenOf(xen, /^event channels$/),
      grants: childrenOf(xen, /grant/i),
    };
  });
  return { timeNs: ins.now(), instructions: ins.instructionsRetired(), pcpus: ins.pcpuCount(), domains };
}
