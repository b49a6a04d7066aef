// Shared by the data breakpoint and reverse tests: running to a stop, reading values and lines.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { root } from './helpers';

export async function stopAfter(dc: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 30000) as Promise<DebugProtocol.StoppedEvent>;
  await request();
  return stopped;
}

export async function evaluate(dc: DebugClient, expression: string, threadId: number): Promise<number> {
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  const r = await dc.evaluateRequest({ expression, frameId: frame.id, context: 'watch' });
  return parseInt(r.body.result, 16);
}

export async function line(dc: DebugClient, threadId: number): Promise<number | undefined> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames[0].line;
}

/** The source line (1-based) of the first line of `file` that contains `text`. */
export function lineOf(file: string, text: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} in ${file}`);
  return i + 1;
}

export const timerAsm = path.join(root, 'examples', 'timer', 'timer.asm');

