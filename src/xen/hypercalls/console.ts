// console_io (xen/drivers/char/console.c). xensim behaves as a debug build of Xen: every
// domain may CONSOLEIO_write (a release build allows it only to the console domain).
import { CONSOLEIO } from '../abi';
import type { HypercallContext } from './types';
import { fail } from './util';

/** Xen copies the buffer in chunks; a bad pointer part-way fails with -EFAULT. */
const CHUNK = 128;
/** bytes one call may write; Xen processes the rest in continuations */
const MAX_WRITE = 1 << 20;

export function consoleIo(ctx: HypercallContext): number {
  const [cmd, count, buffer] = ctx.args;
  switch (cmd) {
    case CONSOLEIO.write: {
      if ((count | 0) < 0) fail('EINVAL', 'negative count');
      let text = '';
      const n = Math.min(count, MAX_WRITE);
      for (let k = 0; k < n; k += CHUNK) {
        const bytes = ctx.mem.read(buffer + k, Math.min(CHUNK, n - k));
        text += Buffer.from(bytes).toString('latin1');
      }
      ctx.hv.consoleWrite(ctx.domain, text);
      return 0;
    }
    case CONSOLEIO.read:
      // no input is ever queued for a guest's console_io
      if (!ctx.domain.privileged) fail('EPERM', 'CONSOLEIO_read is for the hardware domain');
      return 0;
    default:
      return fail('ENOSYS', `console_io cmd ${cmd}`);
  }
}
