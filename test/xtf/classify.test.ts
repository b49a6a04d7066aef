// xtf-runner's verdicts from a kernel's console and its domain's shutdown.
import * as assert from 'assert';
import { classify } from './run-xtf';

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
