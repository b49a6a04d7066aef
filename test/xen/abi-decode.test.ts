import * as assert from 'assert';
import {
  CALLBACKTYPE,
  DOMID,
  EVTCHNOP,
  HYPERCALL,
  HYPERCALLS,
  LAYOUTS,
  SCHEDOP,
  SHUTDOWN,
  StructName,
  VIRQ,
  XEN_DOMCTL,
  XEN_ERRNO,
  decodeHypercall,
  flagNames,
  formatHypercallExit,
  formatResult,
  nameOf,
  registerCount,
} from '../../src/xen/abi';

/** A guest memory of one structure at `gva`, laid out with our own LAYOUTS. */
function guestWith(gva: number, struct: StructName, values: Record<string, number>) {
  const st = LAYOUTS[struct];
  const bytes = new Uint8Array(st.size);
  const dv = new DataView(bytes.buffer);
  for (const [k, v] of Object.entries(values)) {
    const f = (st.fields as Record<string, { offset: number; size: number }>)[k];
    assert.ok(f, `${struct}.${k}`);
    if (f.size === 1) dv.setUint8(f.offset, v);
    else if (f.size === 2) dv.setUint16(f.offset, v, true);
    else dv.setUint32(f.offset, v, true);
  }
  return (addr: number, size: number) => (addr === gva ? bytes.slice(0, size) : undefined);
}

describe('xen abi decoding', () => {
  it('names numbers, flags and errnos', () => {
    assert.strictEqual(nameOf('EVTCHNOP', EVTCHNOP.send), 'EVTCHNOP_send');
    assert.strictEqual(nameOf('HYPERCALL', HYPERCALL.sched_op), '__HYPERVISOR_sched_op');
    assert.strictEqual(nameOf('EVTCHNOP', 999), undefined);
    assert.strictEqual(flagNames('SIF', 3), 'SIF_PRIVILEGED|SIF_INITDOMAIN');
    assert.strictEqual(flagNames('SIF', 0x10001), 'SIF_PRIVILEGED|0x10000');
    assert.strictEqual(formatResult(-XEN_ERRNO.ENOSYS), '-ENOSYS');
    assert.strictEqual(formatResult((-XEN_ERRNO.EFAULT) >>> 0), '-EFAULT');
    assert.strictEqual(formatResult(7), '7');
  });

  it('decodes event_channel_op(EVTCHNOP_send, port=3) through guest memory', () => {
    const read = guestWith(0x8000, 'evtchn_send', { port: 3 });
    const d = decodeHypercall(HYPERCALL.event_channel_op, [EVTCHNOP.send, 0x8000], read);
    assert.strictEqual(d.text, 'event_channel_op(EVTCHNOP_send, port=3)');
    assert.strictEqual(d.subop, 'EVTCHNOP_send');
    assert.deepStrictEqual(d.fields?.map((f) => [f.name, f.value]), [['port', 3]]);
    assert.strictEqual(formatHypercallExit(d, 0), 'event_channel_op(EVTCHNOP_send, port=3) = 0');
  });

  it('shows members by family name (VIRQ, SHUTDOWN, DOMID)', () => {
    const virq = decodeHypercall(
      HYPERCALL.event_channel_op,
      [EVTCHNOP.bind_virq, 0x100],
      guestWith(0x100, 'evtchn_bind_virq', { virq: VIRQ.TIMER, vcpu: 0, port: 0 }),
    );
    assert.strictEqual(virq.text, 'event_channel_op(EVTCHNOP_bind_virq, virq=VIRQ_TIMER, vcpu=0, port=0)');
    const off = decodeHypercall(HYPERCALL.sched_op, [SCHEDOP.shutdown, 0x40], guestWith(0x40, 'sched_shutdown', { reason: SHUTDOWN.crash }));
    assert.strictEqual(off.text, 'sched_op(SCHEDOP_shutdown, reason=SHUTDOWN_crash)');
    const unbound = decodeHypercall(
      HYPERCALL.event_channel_op,
      [EVTCHNOP.alloc_unbound, 0x10],
      guestWith(0x10, 'evtchn_alloc_unbound', { dom: DOMID.SELF, remote_dom: 0, port: 0 }),
    );
    assert.match(unbound.text, /dom=DOMID_SELF, remote_dom=0, port=0/);
    const cb = decodeHypercall(HYPERCALL.callback_op, [0, 0x20], guestWith(0x20, 'callback_register', { type: CALLBACKTYPE.event, flags: 0 }));
    assert.match(cb.text, /^callback_op\(CALLBACKOP_register, type=CALLBACKTYPE_event/);
  });

  it('without memory, shows the pointer; yield needs none', () => {
    assert.strictEqual(decodeHypercall(HYPERCALL.event_channel_op, [EVTCHNOP.send, 0x8000]).text, 'event_channel_op(EVTCHNOP_send, arg=0x8000)');
    assert.strictEqual(decodeHypercall(HYPERCALL.sched_op, [SCHEDOP.yield, 0]).text, 'sched_op(SCHEDOP_yield)');
  });

  it('joins 64-bit arguments from two registers, low half first', () => {
    const d = decodeHypercall(HYPERCALL.update_va_mapping, [0xc0001000, 0x12345067, 0x80000000, 2]);
    assert.strictEqual(d.text, 'update_va_mapping(va=0xc0001000, val=0x8000000012345067, flags=UVMF_INVLPG)');
    assert.strictEqual(d.args[1].value, 0x8000000012345067n);
    const t = decodeHypercall(HYPERCALL.set_timer_op, [1000, 1]);
    assert.strictEqual(t.args[0].value, 0x1_0000_0000 + 1000);
  });

  it('takes domctl’s sub-op from inside its structure', () => {
    const read = guestWith(0x3000, 'xen_domctl', { cmd: XEN_DOMCTL.createdomain, interface_version: 0x15, domain: 1 });
    const d = decodeHypercall(HYPERCALL.domctl, [0x3000], read);
    assert.strictEqual(d.subop, 'XEN_DOMCTL_createdomain');
    assert.match(d.text, /^domctl\(XEN_DOMCTL_createdomain, interface_version=21, domain=1/);
  });

  it('has a spec for every numbered hypercall, and unknown numbers still decode', () => {
    for (const [name, nr] of Object.entries(HYPERCALL)) assert.strictEqual(HYPERCALLS.get(nr)?.name, name);
    assert.ok(registerCount(HYPERCALLS.get(HYPERCALL.update_va_mapping)!) === 4);
    for (const spec of HYPERCALLS.values()) assert.ok(registerCount(spec) <= 5, spec.name);
    assert.strictEqual(decodeHypercall(63, [1, 2]).text, 'hypercall_63(0x1, 0x2)');
  });
});
