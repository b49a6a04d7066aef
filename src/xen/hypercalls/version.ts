// xen_version (xen/common/kernel.c): the numbers of Xen 4.17 as xensim presents it.
import { XENVER, XENVER_VERSION_VALUE, XENFEAT } from '../abi';
import type { HypercallContext } from './types';
import { fail, put32 } from './util';

const EXTRAVERSION = '.0-xensim';
const CAPABILITIES = 'xen-3.0-x86_32p';
const CHANGESET = 'xensim';

function putString(ctx: HypercallContext, ptr: number, text: string, size: number): void {
  const b = new Uint8Array(size);
  b.set(Buffer.from(text, 'latin1').subarray(0, size - 1));
  ctx.mem.write(ptr, b);
}

export function xenVersion(ctx: HypercallContext): number {
  const [cmd, arg] = ctx.args;
  switch (cmd) {
    case XENVER.version:
      return XENVER_VERSION_VALUE;
    case XENVER.extraversion:
      putString(ctx, arg, EXTRAVERSION, 16);
      return 0;
    case XENVER.compile_info: {
      // compiler[64] compile_by[16] compile_domain[32] compile_date[32]
      const b = new Uint8Array(144);
      b.set(Buffer.from('xensim'), 0);
      b.set(Buffer.from('xensim'), 64);
      ctx.mem.write(arg, b);
      return 0;
    }
    case XENVER.capabilities:
      putString(ctx, arg, CAPABILITIES, 1024);
      return 0;
    case XENVER.changeset:
      putString(ctx, arg, CHANGESET, 64);
      return 0;
    case XENVER.platform_parameters: {
      const b = new Uint8Array(4);
      put32(b, 0, 0xf5800000); // virt_start: HYPERVISOR_VIRT_START
      ctx.mem.write(arg, b);
      return 0;
    }
    case XENVER.get_features: {
      const idx = ctx.mem.read32(arg);
      let map = 0;
      if (idx === 0) map = (1 << XENFEAT.pae_pgdir_above_4gb) | (1 << XENFEAT.mmu_pt_update_preserve_ad) | (1 << XENFEAT.gnttab_map_avail_bits) | (ctx.domain.privileged ? 1 << XENFEAT.dom0 : 0);
      ctx.mem.write32(arg + 4, map);
      return 0;
    }
    case XENVER.pagesize:
      return 4096;
    case XENVER.guest_handle:
      ctx.mem.write(arg, new Uint8Array(16));
      return 0;
    case XENVER.commandline:
      putString(ctx, arg, '', 1024);
      return 0;
    case XENVER.build_id:
      return fail('EPERM', 'build_id is for the privileged domain');
    default:
      return fail('ENOSYS', `xen_version cmd ${cmd}`);
  }
}
