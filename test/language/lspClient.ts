/** Test helper: the bundled language server on stdio, driven by vscode-jsonrpc's client side. */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const serverBundle = path.join(repoRoot, 'dist', 'languageServer.js');

/** The newest modification time of any file under dir. */
function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return t;
}

let built = false;
/**
 * Bundles dist/ when the server bundle is older than the sources (`npm test` has just built
 * it; a lone `mocha test/language` may not have), so the tests drive the current sources.
 */
export function buildOnce(): void {
  if (built) return;
  const stale = !fs.existsSync(serverBundle) || fs.statSync(serverBundle).mtimeMs < newest(path.join(repoRoot, 'src'));
  if (stale) {
    const r = spawnSync(process.execPath, ['esbuild.js'], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  }
  built = true;
}

export class LspClient {
  readonly connection: MessageConnection;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: { uri: string; resolve: (d: Diagnostic[]) => void }[] = [];
  private versions = new Map<string, number>();
  readonly stderr: string[] = [];

  private constructor(
    private readonly proc: ChildProcess,
    ipc: boolean,
  ) {
    this.connection = ipc
      ? createMessageConnection(new IPCMessageReader(proc), new IPCMessageWriter(proc))
      : createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    proc.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      for (const w of this.waiters.filter((x) => x.uri === p.uri)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(p.diagnostics);
      }
    });
    // the server may ask for configuration or register capabilities; answer like a plain client
    this.connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.listen();
  }

  /** transport 'ipc' is what the VS Code client uses (TransportKind.ipc); 'stdio' is for other editors */
  static async start(
    rootUri: string | null = null,
    initializationOptions: unknown = {},
    transport: 'stdio' | 'ipc' = 'stdio',
  ): Promise<{ client: LspClient; capabilities: Record<string, unknown> }> {
    const ipc = transport === 'ipc';
    const proc = spawn(process.execPath, [serverBundle, ipc ? '--node-ipc' : '--stdio'], { stdio: ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'] });
    const client = new LspClient(proc, ipc);
    const result = await client.request<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: process.pid,
      rootUri,
      capabilities: {},
      initializationOptions,
    });
    client.connection.sendNotification('initialized', {});
    return { client, capabilities: result.capabilities };
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  open(uri: string, languageId: string, text: string): void {
    this.versions.set(uri, 1);
    this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  change(uri: string, text: string): void {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** The first diagnostics published for uri from now on that satisfy `ok` (for when several publishes may come). */
  async diagnosticsUntil(uri: string, ok: (d: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
    for (;;) {
      const d = await this.nextDiagnostics(uri);
      if (ok(d)) return d;
    }
  }

  /** The next diagnostics published for uri (call before the edit that causes them). */
  nextDiagnostics(uri: string): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.waiters.push({ uri, resolve }));
  }

  async stop(): Promise<void> {
    try {
      await this.request('shutdown', null);
      this.connection.sendNotification('exit');
    } finally {
      this.connection.dispose();
      this.proc.kill();
    }
  }
}

/** Position of the n-th (0-based) occurrence of needle in text, plus an offset into it. */
export function positionOf(text: string, needle: string, offset = 0, n = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' #${n} not in text`);
  }
  const before = text.slice(0, at + offset);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
