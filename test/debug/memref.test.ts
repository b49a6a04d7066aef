import * as assert from 'assert';
import { formatMemoryReference, offsetReference, parseMemoryReference } from '../../src/debug/memref';

describe('debug/memref', () => {
  it('reads the three address spaces', () => {
    assert.deepStrictEqual(parseMemoryReference('d1:gva:0xc0001000'), { space: 'gva', domid: 1, vcpu: 0, address: 0xc0001000 });
    assert.deepStrictEqual(parseMemoryReference('d3.v2:gva:0x10'), { space: 'gva', domid: 3, vcpu: 2, address: 0x10 });
    assert.deepStrictEqual(parseMemoryReference('d0:gpa:4096'), { space: 'gpa', domid: 0, vcpu: undefined, address: 4096 });
    assert.deepStrictEqual(parseMemoryReference('ma:0x7F000'), { space: 'ma', address: 0x7f000 });
  });
  it('takes a bare address as a gva of the thread in context', () => {
    assert.deepStrictEqual(parseMemoryReference('0x1000', { domid: 2, vcpu: 1 }), { space: 'gva', domid: 2, vcpu: 1, address: 0x1000 });
    assert.throws(() => parseMemoryReference('0x1000'), /names no domain/);
  });
  it('refuses what is not a reference, saying what one looks like', () => {
    for (const bad of ['', 'd1:xyz:0x10', 'dx:gva:1', 'ma:', 'd1:gva:0x100000000', 'ma:0xzz']) {
      assert.throws(() => parseMemoryReference(bad, { domid: 0, vcpu: 0 }), /memory reference|wider than 32 bits/, bad);
    }
  });
  it('round-trips through its text form', () => {
    for (const ref of [
      { space: 'gva' as const, domid: 1, vcpu: 0, address: 0xc0000000 },
      { space: 'gva' as const, domid: 7, vcpu: 3, address: 0 },
      { space: 'gpa' as const, domid: 0, address: 0x1234 },
      { space: 'ma' as const, address: 0xffffffff },
    ]) {
      const back = parseMemoryReference(formatMemoryReference(ref));
      assert.strictEqual(back.space, ref.space);
      assert.strictEqual(back.address, ref.address);
      assert.strictEqual(back.domid, ref.domid);
    }
    assert.strictEqual(offsetReference({ space: 'ma', address: 0xfffffffe }, 4).address, 2);
  });
});
