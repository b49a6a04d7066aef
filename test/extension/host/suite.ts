// Runs inside VS Code's extension host (code-server), loaded by index.ts: the extension's API as
// other extensions and VS Code itself call it. The workspace is a copy of examples/hello.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DomainsBody } from '../../../src/debug/domains';

const folder = () => {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the test workspace is open');
  return f;
};
const file = (name: string) => vscode.Uri.joinPath(folder().uri, name);

async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a session and resolves at its first stop (with the session and the stopped thread). */
async function debugToStop(config: vscode.DebugConfiguration): Promise<{ session: vscode.DebugSession; threadId: number }> {
  let stop: { session: vscode.DebugSession; threadId: number } | undefined;
  const tracker = vscode.debug.registerDebugAdapterTrackerFactory('xensim', {
    createDebugAdapterTracker: (session) => ({
      onDidSendMessage: (m: { type: string; event?: string; body?: { threadId: number } }) => {
        if (m.type === 'event' && m.event === 'stopped' && m.body) stop = { session, threadId: m.body.threadId };
      },
    }),
  });
  try {
    assert.ok(await vscode.debug.startDebugging(folder(), config), 'the session starts');
    return await until('a stop', () => stop, 60000);
  } finally {
    tracker.dispose();
  }
}

async function endSessions(): Promise<void> {
  await vscode.debug.stopDebugging();
  await until('no session', () => vscode.debug.activeDebugSession === undefined || undefined, 20000).catch(() => undefined);
}

describe('xensim extension in VS Code', function () {
  this.timeout(120000);

  before(async () => {
    const doc = await vscode.workspace.openTextDocument(file('hello.asm'));
    await vscode.window.showTextDocument(doc);
    await until('activation', () => vscode.extensions.getExtension('xensim.xensim')?.isActive);
  });
  afterEach(endSessions);

  it('activates with its commands and the xen-asm language', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['xensim.run', 'xensim.newProject', 'xensim.openTrace', 'xensim.openMemory']) assert.ok(commands.includes(c), c);
    assert.strictEqual(vscode.window.activeTextEditor?.document.languageId, 'xen-asm');
  });

  it('the language server reports a typo and hovers a hypercall', async () => {
    const doc = vscode.window.activeTextEditor!.document;
    const hover = await until('a hover', async () => {
      const h = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, new vscode.Position(13, 18))) as vscode.Hover[];
      const text = h.flatMap((x) => x.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      return /__HYPERVISOR_console_io/.test(text) ? text : undefined;
    });
    assert.match(hover, /console_io/);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(doc.lineCount - 1, 0), 'movz eax, 1');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const diags = await until('a diagnostic', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    });
    assert.match(diags[0].message, /movz/);
    assert.strictEqual(diags[0].range.start.line, doc.lineCount - 1);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('no diagnostic', () => vscode.languages.getDiagnostics(doc.uri).length === 0 || undefined);
  });

  it('F5 without domains starts the folder\'s config and stops at a hypercall breakpoint with registers, domains and memory', async () => {
    const bp = new vscode.FunctionBreakpoint('hypercall:console_io', true, 'domid == 1');
    vscode.debug.addBreakpoints([bp]);
    try {
      const { session, threadId } = await debugToStop({ type: 'xensim', request: 'launch', name: 'no domains given' });
      assert.deepStrictEqual(session.configuration.domains, [file('hello.cfg').fsPath]);
      assert.strictEqual(threadId, 1001);
      const threads = (await session.customRequest('threads')) as { threads: Array<{ id: number; name: string }> };
      assert.ok(threads.threads.some((t) => t.name === 'd1 hello vcpu0'), JSON.stringify(threads));
      const stack = (await session.customRequest('stackTrace', { threadId })) as { stackFrames: Array<{ id: number; name: string }> };
      assert.match(stack.stackFrames[0].name, /console_io/);
      const scopes = (await session.customRequest('scopes', { frameId: stack.stackFrames[0].id })) as { scopes: Array<{ name: string; variablesReference: number }> };
      const regs = scopes.scopes.find((s) => s.name === 'Registers');
      assert.ok(regs);
      const vars = (await session.customRequest('variables', { variablesReference: regs.variablesReference })) as { variables: Array<{ name: string; value: string }> };
      assert.match(vars.variables.find((v) => v.name === 'eax')?.value ?? '', /0x0*12\b/, 'eax holds __HYPERVISOR_console_io (18)');
      const domains = (await session.customRequest('xensim/domains')) as DomainsBody;
      assert.deepStrictEqual(domains.domains.map((d) => d.name), ['Domain-0', 'hello']);
      await vscode.commands.executeCommand('xensim.openMemory', 'd1:gva:0x100000');
      const dump = await until('the memory dump', () => vscode.window.activeTextEditor?.document.uri.scheme === 'xensim-memory' ? vscode.window.activeTextEditor.document.getText() : undefined);
      assert.match(dump, /^00100000 {2}bb /m);
      assert.match(dump, /Hello/);
    } finally {
      vscode.debug.removeBreakpoints([bp]);
    }
  });

  it('the external adapter process debugs the same example', async () => {
    const settings = vscode.workspace.getConfiguration('xensim');
    await settings.update('debugAdapter', 'external', vscode.ConfigurationTarget.Workspace);
    try {
      const { session, threadId } = await debugToStop({ type: 'xensim', request: 'launch', name: 'external', domains: ['${workspaceFolder}/hello.cfg'], stopOnEntry: true });
      assert.strictEqual(threadId, 1001);
      const domains = (await session.customRequest('xensim/domains')) as DomainsBody;
      assert.strictEqual(domains.domains[1].vcpus[0].eip, 0x100000);
    } finally {
      await settings.update('debugAdapter', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('runs the configs in a terminal through the CLI, exit status 0', async () => {
    const terminal = (await vscode.commands.executeCommand('xensim.run', file('hello.cfg'))) as vscode.Terminal;
    assert.ok(terminal, 'a terminal');
    const status = await until('the CLI to exit', () => terminal.exitStatus, 60000);
    assert.strictEqual(status.code, 0);
    terminal.dispose();
  });

  it('makes a new guest project that launches', async () => {
    const target = vscode.Uri.file(fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-new-')));
    await vscode.commands.executeCommand('xensim.newProject', target);
    for (const f of ['hello.asm', 'hello.cfg', '.vscode/launch.json', '.vscode/settings.json']) assert.ok(fs.existsSync(path.join(target.fsPath, f)), f);
    const launch = JSON.parse(fs.readFileSync(path.join(target.fsPath, '.vscode/launch.json'), 'utf8')) as { configurations: vscode.DebugConfiguration[] };
    const config = JSON.parse(JSON.stringify(launch.configurations[0]).split('${workspaceFolder}').join(target.fsPath)) as vscode.DebugConfiguration;
    const { threadId } = await debugToStop({ ...config, stopOnEntry: true });
    assert.strictEqual(threadId, 1001);
  });
});
