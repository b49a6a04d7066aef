// xtf-runner's verdicts from a kernel's console and its domain's shutdown.
import * as assert from 'assert';
import * as path from 'path';
import { classify, runXtf } from './run-xtf';

describe('XTF result classification', () => {
  const head = ['--- Xen Test Framework ---', 'Environment: PV 32bit (PAE 3 levels)', 'XTF Selftests'];
  it('takes the last Test result line', () => {
    assert.strictEqual(classify([...head, 'Test result: SUCCESS'], 'poweroff'), 'SUCCESS');
    assert.strictEqual(classify([...head, 'Test result: SUCCESS', 'Test result: FAILURE'], 'poweroff'), 'FAILURE');
    assert.strictEqual(classify([...head, 'Test result: SKIP'], 'poweroff'), 'SKIP');
    assert.strictEqual(classify([...head, 'Test result: ERROR'], 'poweroff'), 'ERROR');
  });
  it('a crash shutdown is CRASH even after a result', () => {
    assert.strictEqual(classify([...head, 'PANIC: no xenstore'], 'crash'), 'CRASH');
    assert.strictEqual(classify([...head, 'Test result: SUCCESS'], 'crash'), 'CRASH');
  });
  it('no result: TIMEOUT while running, ERROR once shut down, ERROR for an unknown word', () => {
    assert.strictEqual(classify(head, undefined), 'TIMEOUT');
    assert.strictEqual(classify(head, 'poweroff'), 'ERROR');
    assert.strictEqual(classify([...head, 'Test result: MAYBE'], 'poweroff'), 'ERROR');
  });
});

describe('XTF runner on non-XTF guests', function () {
  this.timeout(30_000);
  it('a guest that crashes is CRASH; one that powers off without a result line is ERROR', () => {
    const root = path.resolve(__dirname, '..', '..');
    const crash = runXtf(path.join(root, 'examples', 'crash', 'crash-destroy.cfg'));
    assert.strictEqual(crash.result, 'CRASH', crash.lines.join('\n'));
    const hello = runXtf(path.join(root, 'examples', 'hello', 'hello.cfg'));
    assert.strictEqual(hello.result, 'ERROR', hello.lines.join('\n'));
    assert.ok(hello.lines.length > 0 && hello.detail === hello.lines[hello.lines.length - 1]);
  });
});
