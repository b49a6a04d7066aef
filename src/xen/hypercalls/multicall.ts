// multicall (xen/common/multicall.c): a batch of hypercalls, each result written back into its
// entry. Entries run through the same table; nested multicalls are refused.
import { HYPERCALL, formatResult } from '../abi';
import { XenError } from '../mm';
import type { HypercallContext, HypercallHandler } from './types';
import { fail, u32 } from './util';

export function makeMulticall(table: Record<number, HypercallHandler>): HypercallHandler {
  return (ctx: HypercallContext) => {
    const [list, n] = ctx.args;
    const { hv, vcpu } = ctx;
    if (n > 1024) fail('EINVAL', `multicall of ${n} entries`);
    for (let i = 0; i < n; i++) {
      const base = list + i * 32;
      const e = ctx.mem.read(base, 32);
      const op = u32(e, 0);
      const args = [8, 12, 16, 20, 24].map((o) => u32(e, o));
      let result: number;
      const sub: HypercallContext = { ...ctx, args, noResult: false };
      if (hv.wants('hypercall-entry')) hv.emit({ kind: 'hypercall-entry', ...hv.base(vcpu), nr: op, name: `multicall[${i}]`, args: args.map((a, k) => ({ name: `arg${k + 1}`, value: a, text: `0x${a.toString(16)}` })), text: `multicall[${i}] op ${op}` });
      try {
        const h = op === HYPERCALL.multicall || op === HYPERCALL.iret ? undefined : table[op];
        result = h ? h(sub) : -38;
      } catch (err) {
        if (!(err instanceof XenError)) throw err;
        result = err.errno;
      }
      if (hv.wants('hypercall-exit')) hv.emit({ kind: 'hypercall-exit', ...hv.base(vcpu), nr: op, name: `multicall[${i}]`, result: result | 0, resultText: formatResult(result | 0) });
      ctx.mem.write32(base + 4, result >>> 0);
      if (!ctx.domain.alive || vcpu.blocked) break;
    }
    return 0;
  };
}
