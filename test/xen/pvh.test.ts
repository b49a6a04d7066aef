// A PVH domain has no device model, as on Xen (libxl starts no QEMU for PVH): port I/O outside
// Xen's own handlers reads all ones and goes nowhere, and no ioreq is ever sent; the same guest
// as HVM reaches the device model's UART.
import * as assert from 'assert';
import { bootHvm } from './hvm-guests';

const BODY = `
    mov dx, 0x3fd
    in al, dx
    movzx eax, al
    mov [results], eax
    mov dx, 0x3f8
    mov al, 'A'
    out dx, al
    mov al, 10
    out dx, al`;

describe('PVH: no device model', function () {
  this.timeout(60_000);
  for (const type of ['pvh', 'hvm'] as const) {
    it(`type = "${type}": ${type === 'pvh' ? 'the UART is not there' : 'the UART is the device model\'s'}`, () => {
      const b = bootHvm([{ name: type, body: BODY, extra: `type = "${type}"` }], { dom0: true });
      b.sys.run({ maxInstructions: 2e6 });
      const lsr = b.result(1, 0);
      const ioreqs = b.records.filter((r) => r.kind === 'ioreq' && r.targetDomid === 1);
      if (type === 'pvh') {
        assert.strictEqual(lsr, 0xff, 'an unclaimed port reads all ones');
        assert.deepStrictEqual(b.console(1), []);
        assert.strictEqual(ioreqs.length, 0);
      } else {
        assert.strictEqual(lsr & 0x20, 0x20, 'the 16550 says its transmitter is empty');
        assert.deepStrictEqual(b.console(1), ['A']);
        assert.strictEqual(ioreqs.filter((r) => r.kind === 'ioreq' && r.phase === 'send').length, 3);
      }
    });
  }
});
