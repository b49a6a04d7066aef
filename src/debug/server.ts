/**
 * The adapter over a byte stream: stdio for `dist/debugAdapter.js` and `xensim dap`, TCP on
 * loopback for `xensim dap --port N` (nvim-dap, Emacs dap-mode, Helix…), one session per
 * connection.
 */
import * as net from 'net';
import type { Readable, Writable } from 'stream';
import { XenDebugSession, SessionOptions } from './session';

/**
 * Last resort for a standalone adapter: a bug must not end the editor's debug session, and
 * stdout carries the protocol, so the report goes to stderr.
 */
export function keepAlive(): void {
  process.on('uncaughtException', (e) => process.stderr.write(`xensim debug adapter: internal error: ${e?.stack ?? e}\n`));
  process.on('unhandledRejection', (e) => process.stderr.write(`xensim debug adapter: internal error: ${(e as Error)?.stack ?? e}\n`));
}

/** Serves one session on a pair of streams; resolves when the input ends. */
export function serveStreams(input: Readable, output: Writable, options: SessionOptions = {}, server = false): Promise<void> {
  const session = new XenDebugSession(options);
  // In server mode DebugSession.shutdown does not exit the process (other connections live on).
  session.setRunAsServer(server);
  return new Promise((resolve) => {
    input.on('end', () => {
      session.dispose();
      resolve();
    });
    input.on('close', resolve);
    session.start(input, output);
  });
}

/** Listens on 127.0.0.1:`port` (0 picks one); resolves with the server once listening. */
export function listenTcp(port: number, options: SessionOptions = {}): Promise<net.Server> {
  const srv = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    void serveStreams(socket, socket, options, true);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
