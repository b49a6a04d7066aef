// Teardown: when domains go away their back ends, xenstore nodes and grant tables go too.
import * as assert from 'assert';
import * as path from 'path';
import { XenSystem } from '../../src/xen/system';
import { loadDomainConfigFile } from '../../src/xen/config';
import { grantTablesOf } from '../../src/xen/grant/xen-env';
import { netbacksOf } from '../../src/xen/dom0/netback-service';
import { XsClient, xenstoreOf } from '../../src/xen/dom0/xenstore';

const root = path.resolve(__dirname, '..', '..');

describe('split drivers when a domain goes away', () => {
  it('its back ends disconnect, its xenstore nodes and grant table go', () => {
    const net = path.join(root, 'examples', 'network');
    const cfgs = ['ping', 'pong'].map((n) => loadDomainConfigFile(path.join(net, `${n}.cfg`)).config!);
    const sys = new XenSystem(cfgs, { dom0: false });
    sys.run({ maxInstructions: 5_000_000, untilTimeNs: 1e9 });
    assert.ok(!sys.domain(1).alive && !sys.domain(2).alive);
    assert.strictEqual(netbacksOf(sys.hv).size, 0, 'every vif disconnected');
    assert.strictEqual(grantTablesOf(sys.hv).table(1), undefined);
    const xs = new XsClient(xenstoreOf(sys.hv), 0);
    assert.deepStrictEqual(xs.directory('/local/domain'), ['0'], 'only dom0\'s back-end directory is left');
    assert.deepStrictEqual(xs.directory('/local/domain/0/backend/vif'), []);
    assert.strictEqual(xenstoreOf(sys.hv).isIntroduced(1), false);
    // dom0's back-end side holds no mapping of anything any more
    assert.strictEqual(grantTablesOf(sys.hv).table(0)?.mappings ?? 0, 0);
  });
});
