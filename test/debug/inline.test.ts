// In process, as the extension runs it (vscode.DebugAdapterInlineImplementation hands messages
// to handleMessage and listens on onDidSendMessage): no streams, no child process.
import * as assert from 'assert';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { defaultMachine, XenDebugSession } from '../../src/debug';
import { root } from './helpers';

describe('debug/inline session', () => {
  it('answers and stops in process, through handleMessage and onDidSendMessage', async function () {
    this.timeout(20000);
    const session = new XenDebugSession({ machine: defaultMachine });
    const messages: DebugProtocol.ProtocolMessage[] = [];
    const waiters: Array<() => void> = [];
    session.onDidSendMessage((m) => {
      messages.push(m as DebugProtocol.ProtocolMessage);
      waiters.splice(0).forEach((w) => w());
    });
    const waitFor = async (pred: (m: DebugProtocol.ProtocolMessage) => boolean): Promise<DebugProtocol.ProtocolMessage> => {
      for (;;) {
        const m = messages.find(pred);
        if (m) return m;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    let seq = 1;
    const send = (command: string, args: object) => session.handleMessage({ seq: seq++, type: 'request', command, arguments: args } as DebugProtocol.Request);
    const response = (command: string) => waitFor((m) => m.type === 'response' && (m as DebugProtocol.Response).command === command) as Promise<DebugProtocol.Response>;

    send('initialize', { adapterID: 'xensim', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    assert.strictEqual((await response('initialize')).success, true);
    send('launch', { domains: [path.join(root, 'examples', 'hello', 'hello.cfg')], stopOnEntry: true });
    await waitFor((m) => m.type === 'event' && (m as DebugProtocol.Event).event === 'initialized');
    send('configurationDone', {});
    const launch = await response('launch');
    assert.strictEqual(launch.success, true, launch.message);
    const stopped = (await waitFor((m) => m.type === 'event' && (m as DebugProtocol.Event).event === 'stopped')) as DebugProtocol.StoppedEvent;
    assert.strictEqual(stopped.body.reason, 'entry');
    assert.strictEqual(stopped.body.threadId, 1001);
    send('disconnect', {});
    assert.strictEqual((await response('disconnect')).success, true);
    session.dispose();
  });
});
