import * as assert from 'assert';
import * as path from 'path';
import { LaunchError, parseLaunchArguments } from '../../src/debug/launch';
import { launchFixture } from './helpers';

function fails(args: unknown, attribute: string, message: RegExp, cwd = '/'): void {
  assert.throws(
    () => parseLaunchArguments(args, cwd),
    (e: unknown) => e instanceof LaunchError && e.attribute === attribute && message.test(e.message),
    `${JSON.stringify(args)} should fail on ${attribute}`,
  );
}

describe('debug/launch', () => {
  const fx = launchFixture();

  it('accepts a good launch and resolves paths against cwd', () => {
    const c = parseLaunchArguments({ domains: ['good.cfg'], pcpus: 2, memory: 256, stopOnEntry: true, trace: 'out.jsonl', cwd: fx.dir }, '/');
    assert.strictEqual(c.configs.length, 1);
    assert.strictEqual(c.configs[0].name, 'web');
    assert.strictEqual(c.configs[0].kernel, path.join(fx.dir, 'kernel.bin'));
    assert.deepStrictEqual([c.pcpus, c.memoryMiB, c.stopOnEntry, c.trace], [2, 256, true, path.join(fx.dir, 'out.jsonl')]);
    const d = parseLaunchArguments({ domains: [fx.good] }, fx.dir);
    assert.deepStrictEqual([d.pcpus, d.memoryMiB, d.stopOnEntry, d.cwd], [undefined, undefined, false, fx.dir]);
  });

  it('names the attribute that is missing or wrong', () => {
    fails(undefined, 'domains', /missing: launch needs arguments/);
    fails({}, 'domains', /missing/);
    fails({ domains: [] }, 'domains', /non-empty array/);
    fails({ domains: 'good.cfg' }, 'domains', /non-empty array/);
    fails({ domains: [42] }, 'domains[0]', /path to an xl.cfg/);
    fails({ domains: [fx.good], pcpus: 0 }, 'pcpus', /whole number from 1/);
    fails({ domains: [fx.good], pcpus: 'two' }, 'pcpus', /"two"/);
    fails({ domains: [fx.good], memory: 1.5 }, 'memory', /whole number/);
    fails({ domains: [fx.good], memory: 8192 }, 'memory', /from 16 to 4095/);
    fails({ domains: [fx.good], stopOnEntry: 'yes' }, 'stopOnEntry', /true or false/);
    fails({ domains: [fx.good], trace: 7 }, 'trace', /file path/);
    fails({ domains: [fx.good], trace: '/no/such/dir/t.jsonl' }, 'trace', /no such directory/);
    fails({ domains: [fx.good], cwd: '/no/such/dir' }, 'cwd', /no such directory/);
    fails({ domains: [fx.good, fx.good] }, 'domains[1]', /name 'web' is already used by domains\[0\]/);
  });

  it('passes on the config parser\'s file:line:col', () => {
    fails({ domains: [fx.good, fx.bad] }, 'domains[1]', new RegExp(`${fx.bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:10: error: .*memory`));
    fails({ domains: ['missing.cfg'], cwd: fx.dir }, 'domains[0]', /missing\.cfg:1:1: error: cannot read config: no such file/);
  });
});
