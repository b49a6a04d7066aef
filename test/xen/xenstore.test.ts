// xenstored driven through ring bytes, as a guest's xenbus driver talks to it.
import * as assert from 'assert';
import { IO_CONST, XS, XSD_ERRORS, XenbusState } from '../../src/xen/abi';
import { QUOTA, XenStore, XsClient, addDevice, canSwitch, readState, switchState, writeDomainTree, strings } from '../../src/xen/dom0/xenstore';
import { GuestStore } from './xenstore-helpers';

function world() {
  const xs = new XenStore();
  const dom0 = new XsClient(xs, 0);
  writeDomainTree(dom0, { domid: 1, name: 'alice', memoryKiB: 16384, vcpus: 1, store: { mfn: 0x1234, port: 1 } });
  writeDomainTree(dom0, { domid: 2, name: 'bob', memoryKiB: 16384, vcpus: 2 });
  const a = new GuestStore(xs, 1);
  const b = new GuestStore(xs, 2);
  return { xs, dom0, a, b };
}

const shape = (r: { type: number; args: string[] }) => ({ type: r.type, args: r.args });

describe('xenstored over the store ring', () => {
  it('advertises its features in the ring page', () => {
    const { a } = world();
    assert.strictEqual(a.u32('server_features'), IO_CONST.XENSTORE_SERVER_FEATURE_ERROR);
  });

  it('the standard tree: domid, name, vm, store ring, cpu, relative paths', () => {
    const { a } = world();
    assert.deepStrictEqual(shape(a.call(XS.READ, 'domid')), { type: XS.READ, args: ['1'] });
    assert.deepStrictEqual(a.call(XS.READ, '/local/domain/1/name').args, ['alice']);
    const vm = a.call(XS.READ, 'vm').args[0];
    assert.deepStrictEqual(a.call(XS.READ, `${vm}/name`).args, ['alice']);
    assert.deepStrictEqual(a.call(XS.READ, 'store/ring-ref').args, [String(0x1234)]);
    assert.deepStrictEqual(a.call(XS.GET_DOMAIN_PATH, '1').args, ['/local/domain/1']);
    assert.deepStrictEqual(a.call(XS.GET_PERMS, '/local/domain/1').args, ['n1']);
    assert.deepStrictEqual(a.call(XS.DIRECTORY, '/local/domain/1/cpu').args, ['0']);
  });

  it('write, read, mkdir, directory, rm', () => {
    const { a } = world();
    assert.deepStrictEqual(shape(a.write('data/x/y', 'hello')), { type: XS.WRITE, args: ['OK'] });
    assert.deepStrictEqual(a.call(XS.READ, 'data/x/y').args, ['hello']);
    assert.deepStrictEqual(a.call(XS.READ, 'data/x').raw.length, 0, 'intermediate nodes are created empty');
    assert.deepStrictEqual(a.call(XS.MKDIR, 'data/z').args, ['OK']);
    assert.deepStrictEqual(a.call(XS.DIRECTORY, 'data').args, ['x', 'z']);
    assert.deepStrictEqual(a.call(XS.RM, 'data/x').args, ['OK']);
    assert.deepStrictEqual(a.call(XS.DIRECTORY, 'data').args, ['z']);
    assert.deepStrictEqual(shape(a.call(XS.READ, 'data/x/y')), { type: XS.ERROR, args: ['ENOENT'] });
    // rm of a missing node under an existing parent succeeds, as xenstored answers
    assert.deepStrictEqual(a.call(XS.RM, 'data/nothing').args, ['OK']);
    assert.deepStrictEqual(a.call(XS.RM, 'data/no/such').args, ['ENOENT']);
    // values are bytes, not strings: NULs survive
    a.send(XS.WRITE, new Uint8Array([...strings('data/bin'), 0, 1, 0, 2]));
    a.xs.poll(1);
    a.recv();
    assert.deepStrictEqual([...a.call(XS.READ, 'data/bin').raw], [0, 1, 0, 2]);
  });

  it('every error reply carries a name from xs_wire.h xsd_errors', () => {
    const { a } = world();
    const replies = [a.call(XS.READ, '/local/domain/2/name'), a.call(XS.READ, 'nope'), a.call(XS.READ, 'bad//path'), a.call(XS.TRANSACTION_END, 'T'), a.call(999 as number, 'x')];
    for (const r of replies) {
      assert.strictEqual(r.type, XS.ERROR);
      assert.ok((XSD_ERRORS as readonly string[]).includes(r.args[0]), r.args[0]);
    }
    assert.deepStrictEqual(replies.map((r) => r.args[0]), ['EACCES', 'ENOENT', 'EINVAL', 'ENOENT', 'EINVAL']);
  });

  describe('permissions', () => {
    it("a domU cannot read or write another domain's keys, nor the top of the tree", () => {
      const { a, b } = world();
      b.write('data/secret', 'bob-only');
      assert.deepStrictEqual(shape(a.call(XS.READ, '/local/domain/2/data/secret')), { type: XS.ERROR, args: ['EACCES'] });
      assert.deepStrictEqual(shape(a.write('/local/domain/2/data/secret', 'x')), { type: XS.ERROR, args: ['EACCES'] });
      assert.deepStrictEqual(a.call(XS.DIRECTORY, '/local/domain/2').args, ['EACCES']);
      assert.deepStrictEqual(a.call(XS.RM, '/local/domain/2/data').args, ['EACCES']);
      assert.deepStrictEqual(a.write('/vm/mine', 'x').args, ['EACCES']);
      assert.deepStrictEqual(a.write('/tool/x', 'x').args, ['EACCES']);
      assert.deepStrictEqual(b.call(XS.READ, 'data/secret').args, ['bob-only']);
    });

    it('the owner may share a node read-only; set_perms cannot give ownership away', () => {
      const { a, b, dom0 } = world();
      b.write('data/shared', 'hi');
      assert.deepStrictEqual(b.call(XS.SET_PERMS, 'data/shared', 'n2', 'r1').args, ['OK']);
      assert.deepStrictEqual(a.call(XS.READ, '/local/domain/2/data/shared').args, ['hi']);
      assert.deepStrictEqual(a.write('/local/domain/2/data/shared', 'x').args, ['EACCES']);
      assert.deepStrictEqual(b.call(XS.SET_PERMS, 'data/shared', 'n1').args, ['EPERM']);
      assert.deepStrictEqual(a.call(XS.SET_PERMS, '/local/domain/2/data/shared', 'b1').args, ['EACCES']);
      assert.deepStrictEqual(b.call(XS.SET_PERMS, 'data/shared', 'x2').args, ['EINVAL']);
      // nodes a domain creates are its own; dom0 sees everything
      assert.deepStrictEqual(b.call(XS.GET_PERMS, 'data/shared').args, ['n2', 'r1']);
      assert.strictEqual(dom0.read('/local/domain/2/data/shared'), 'hi');
    });

    it('only the privileged domain introduces and releases domains', () => {
      const { a } = world();
      assert.deepStrictEqual(a.call(XS.INTRODUCE, '5', '100', '3').args, ['EACCES']);
      assert.deepStrictEqual(a.call(XS.RELEASE, '2').args, ['EACCES']);
      assert.deepStrictEqual(a.call(XS.IS_DOMAIN_INTRODUCED, '2').args, ['EACCES']);
    });
  });

  describe('watches', () => {
    it('fire once on registration, then for the node and everything below it, with the token', () => {
      const { a } = world();
      assert.deepStrictEqual(a.call(XS.WATCH, 'data', 'tok').args, ['OK']);
      assert.deepStrictEqual(a.events.splice(0), [['data', 'tok']]);
      a.write('data/k', 'v');
      a.write('other', 'v');
      a.call(XS.RM, 'data/k');
      assert.deepStrictEqual(a.events.splice(0), [['data/k', 'tok'], ['data/k', 'tok']]);
      assert.deepStrictEqual(a.call(XS.UNWATCH, 'data', 'tok').args, ['OK']);
      a.write('data/k', 'v');
      assert.deepStrictEqual(a.events, []);
      assert.deepStrictEqual(a.call(XS.UNWATCH, 'data', 'tok').args, ['ENOENT']);
    });

    it("a change by one domain reaches another's watch only if it may read the node", () => {
      const { a, b, xs } = world();
      a.call(XS.WATCH, '/local/domain/2/data', 'spy');
      a.events.splice(0);
      b.write('data/private', 'x');
      xs.poll(1);
      assert.deepStrictEqual(a.recv(), [], 'no event for a node d1 cannot read');
      b.write('data/public', 'x');
      b.call(XS.SET_PERMS, 'data/public', 'n2', 'r1');
      xs.poll(1);
      const evs = a.recv().map((m) => m.type);
      assert.deepStrictEqual(evs, [XS.WATCH_EVENT]);
    });

    it('@introduceDomain and @releaseDomain', () => {
      const { xs, dom0 } = world();
      const seen: string[] = [];
      xs.onWatch.set(0, (p) => seen.push(p));
      dom0.watch('@releaseDomain', 'r');
      dom0.release(2);
      assert.deepStrictEqual(seen, ['@releaseDomain', '@releaseDomain']);
      assert.strictEqual(xs.isIntroduced(2), false);
    });

    it('a domain may hold only so many watches', () => {
      const { a } = world();
      for (let i = 0; i < QUOTA.watches; i++) assert.deepStrictEqual(a.call(XS.WATCH, `data/w${i}`, 't').args, ['OK']);
      assert.deepStrictEqual(a.call(XS.WATCH, 'data/last', 't').args, ['E2BIG']);
    });
  });

  describe('transactions', () => {
    it('changes are private until commit, then visible and watched', () => {
      const { a, b } = world();
      b.call(XS.WATCH, 'data', 'w');
      b.events.splice(0);
      const t = Number(b.call(XS.TRANSACTION_START, '').args[0]);
      assert.ok(t > 0);
      b.write('data/a', '1', t);
      assert.deepStrictEqual(b.callTx(t, XS.READ, 'data/a').args, ['1']);
      assert.deepStrictEqual(b.call(XS.READ, 'data/a').args, ['ENOENT']);
      assert.deepStrictEqual(b.events, [], 'no events before commit');
      assert.deepStrictEqual(b.callTx(t, XS.TRANSACTION_END, 'T').args, ['OK']);
      assert.deepStrictEqual(b.call(XS.READ, 'data/a').args, ['1']);
      assert.deepStrictEqual(b.events.splice(0), [['data/a', 'w']]);
      void a;
    });

    it('a commit after a conflicting change answers EAGAIN and changes nothing; a retry succeeds', () => {
      const { a, dom0 } = world();
      a.write('data/counter', '1');
      const t = Number(a.call(XS.TRANSACTION_START, '').args[0]);
      const v = Number(a.callTx(t, XS.READ, 'data/counter').args[0]);
      dom0.write('/local/domain/1/data/counter', '5'); // someone else moves it
      a.write('data/counter', String(v + 1), t);
      assert.deepStrictEqual(shape(a.callTx(t, XS.TRANSACTION_END, 'T')), { type: XS.ERROR, args: ['EAGAIN'] });
      assert.deepStrictEqual(a.call(XS.READ, 'data/counter').args, ['5']);
      const t2 = Number(a.call(XS.TRANSACTION_START, '').args[0]);
      const v2 = Number(a.callTx(t2, XS.READ, 'data/counter').args[0]);
      a.write('data/counter', String(v2 + 1), t2);
      assert.deepStrictEqual(a.callTx(t2, XS.TRANSACTION_END, 'T').args, ['OK']);
      assert.deepStrictEqual(a.call(XS.READ, 'data/counter').args, ['6']);
    });

    it('unrelated changes do not conflict; abort discards; unknown ids are refused', () => {
      const { a, b } = world();
      const t = Number(a.call(XS.TRANSACTION_START, '').args[0]);
      a.write('data/mine', 'x', t);
      b.write('data/theirs', 'y');
      assert.deepStrictEqual(a.callTx(t, XS.TRANSACTION_END, 'T').args, ['OK']);
      const t2 = Number(a.call(XS.TRANSACTION_START, '').args[0]);
      a.write('data/gone', 'x', t2);
      assert.deepStrictEqual(a.callTx(t2, XS.TRANSACTION_END, 'F').args, ['OK']);
      assert.deepStrictEqual(a.call(XS.READ, 'data/gone').args, ['ENOENT']);
      assert.deepStrictEqual(a.callTx(77, XS.READ, 'data/mine').args, ['ENOENT']);
      assert.deepStrictEqual(a.callTx(t2, XS.TRANSACTION_END, 'T').args, ['ENOENT']);
    });

    it('creating a node another transaction also created conflicts', () => {
      const { a } = world();
      const t1 = Number(a.call(XS.TRANSACTION_START, '').args[0]);
      const t2 = Number(a.call(XS.TRANSACTION_START, '').args[0]);
      a.write('data/n', '1', t1);
      a.write('data/n', '2', t2);
      assert.deepStrictEqual(a.callTx(t1, XS.TRANSACTION_END, 'T').args, ['OK']);
      assert.deepStrictEqual(a.callTx(t2, XS.TRANSACTION_END, 'T').args, ['EAGAIN']);
      assert.deepStrictEqual(a.call(XS.READ, 'data/n').args, ['1']);
    });
  });

  describe('a hostile guest is contained', () => {
    it('ring indices far beyond the ring: that connection stops, with XENSTORE_ERROR_RINGIDX; others are served', () => {
      const { a, b, xs } = world();
      a.setU32('req_prod', 0x7fff0000);
      assert.doesNotThrow(() => xs.poll(1));
      assert.strictEqual(a.u32('error'), IO_CONST.XENSTORE_ERROR_RINGIDX);
      assert.ok(xs.connection(1).broken);
      assert.deepStrictEqual(b.call(XS.READ, 'name').args, ['bob']);
    });

    it('a forged rsp_cons cannot make xenstored overwrite unread replies', () => {
      const { b, xs } = world();
      b.setU32('rsp_cons', 0x10000);
      b.send(XS.READ, strings('name'));
      xs.poll(2);
      assert.strictEqual(b.u32('error'), IO_CONST.XENSTORE_ERROR_RINGIDX);
    });

    it('an oversized payload is a protocol error (XENSTORE_ERROR_PROTO)', () => {
      const { a, xs } = world();
      const h = new Uint8Array(16);
      new DataView(h.buffer).setUint32(12, IO_CONST.XENSTORE_PAYLOAD_MAX + 1, true);
      a.req.write(h);
      xs.poll(1);
      assert.strictEqual(a.u32('error'), IO_CONST.XENSTORE_ERROR_PROTO);
    });

    it('a flood is served in bounded batches and nothing is lost while the reply ring is full', () => {
      const { a, b, xs } = world();
      const n = 40;
      for (let i = 0; i < n; i++) a.send(XS.READ, strings('name'));
      // xenstored answers into a 1 KiB reply ring the guest does not drain yet
      xs.poll(1);
      assert.ok(a.rsp.available() <= IO_CONST.XENSTORE_RING_SIZE);
      assert.deepStrictEqual(b.call(XS.READ, 'name').args, ['bob'], 'other domains keep being served');
      const got = [];
      for (let k = 0; k < 20 && got.length < n; k++) {
        got.push(...a.recv());
        xs.poll(1);
      }
      got.push(...a.recv());
      assert.strictEqual(got.length, n);
      assert.ok(got.every((m) => m.type === XS.READ && Buffer.from(m.payload).toString() === 'alice'));
      assert.deepStrictEqual(got.map((m) => m.reqId), got.map((_, i) => i + 1));
    });

    it('node quota: a domain cannot fill the store', () => {
      const { a } = world();
      let last = '';
      for (let i = 0; i < QUOTA.nodes + 5 && last !== 'ENOSPC'; i++) last = a.write(`data/n${i}`, 'x').args[0];
      assert.strictEqual(last, 'ENOSPC');
      assert.strictEqual(a.write('data/big', 'x'.repeat(QUOTA.valueSize + 1)).args[0], 'ENOSPC');
    });

    it('requests split across ring writes are reassembled', () => {
      const { a, xs } = world();
      const bytes = [...new Uint8Array([XS.READ, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]), ...strings('name')];
      a.req.write(new Uint8Array(bytes.slice(0, 7)));
      xs.poll(1);
      assert.deepStrictEqual(a.recv(), []);
      a.req.write(new Uint8Array(bytes.slice(7)));
      xs.poll(1);
      const r = a.recv();
      assert.strictEqual(r.length, 1);
      assert.strictEqual(r[0].reqId, 9);
      assert.strictEqual(Buffer.from(r[0].payload).toString(), 'alice');
    });
  });
});

describe('xenbus negotiation', () => {
  it('the toolstack adds a device; both ends walk Initialising → InitWait → Initialised → Connected → Closing → Closed', () => {
    const { dom0, xs, a } = world();
    const { fe, be } = addDevice(dom0, { type: 'vbd', feDomid: 1, beDomid: 0, devid: 51712, backend: { 'sectors': '2048' } });
    const front = new XsClient(xs, 1);
    // the guest's own client uses its ring in reality; the in-process one shows the same rules
    xs.attachRing(1, { page: () => a.page, notify: () => undefined });
    void front;
    assert.strictEqual(readState(dom0, fe), XenbusState.Initialising);
    assert.strictEqual(dom0.read(`${fe}/backend`), be);
    switchState(dom0, be, XenbusState.InitWait);
    assert.deepStrictEqual(a.call(XS.READ, `device/vbd/51712/backend`).args, [be]);
    assert.deepStrictEqual(a.call(XS.READ, `${be}/sectors`).args, ['2048'], 'the front end may read its back end');
    assert.deepStrictEqual(a.write(`${be}/state`, '4').args, ['EACCES'], 'but not write it');
    a.write('device/vbd/51712/ring-ref', '8');
    a.write('device/vbd/51712/state', String(XenbusState.Initialised));
    assert.strictEqual(readState(dom0, fe), XenbusState.Initialised);
    switchState(dom0, be, XenbusState.Connected);
    switchState(dom0, be, XenbusState.Closing);
    switchState(dom0, be, XenbusState.Closed);
    assert.throws(() => switchState(dom0, be, XenbusState.Connected), /not a protocol step/);
    assert.ok(canSwitch(XenbusState.Closed, XenbusState.Initialising));
    assert.ok(!canSwitch(XenbusState.Initialising, XenbusState.Reconfigured));
  });
});
