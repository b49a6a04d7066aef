/**
 * `xensim.openMemory`: machine (or guest) memory of the debugged system, by DAP memory reference
 * (`ma:0x100000`, `d1:gva:0x100000`, `d1:gpa:0x0`, see src/debug/memref.ts). With the Hex Editor
 * extension VS Code's own memory view opens; without it (offline installs have none) a read-only
 * hex dump read through the session's readMemory.
 */
import * as vscode from 'vscode';
import { hexDump } from '../text';

export const MEMORY_SCHEME = 'xensim-memory';
const DUMP_BYTES = 4096;

export class MemoryDocuments implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = decodeURIComponent(uri.query);
    const session = vscode.debug.activeDebugSession;
    if (session?.type !== 'xensim') return `# ${ref}: no xensim debug session is active\n`;
    try {
      const r = (await session.customRequest('readMemory', { memoryReference: ref, offset: 0, count: DUMP_BYTES })) as { address: string; data?: string; unreadableBytes?: number };
      const data = r.data ? Buffer.from(r.data, 'base64') : new Uint8Array();
      return `# ${ref} (${data.length} bytes from ${r.address})\n` + hexDump(Number(r.address), data, r.unreadableBytes ?? 0);
    } catch (e) {
      return `# ${ref}: ${(e as Error).message}\n`;
    }
  }
}

/** The stopped thread's eip as a guest-virtual reference, as a starting suggestion. */
async function suggestion(session: vscode.DebugSession): Promise<string> {
  const frame = vscode.debug.activeStackItem;
  if (frame instanceof vscode.DebugStackFrame && frame.session === session) {
    const domid = Math.floor((frame.threadId - 1) / 1000);
    try {
      const r = (await session.customRequest('evaluate', { expression: 'eip', frameId: frame.frameId, context: 'watch' })) as { result: string };
      return `d${domid}:gva:${r.result.split(/\s/)[0]}`;
    } catch {
      return `d${domid}:gva:0x100000`;
    }
  }
  return 'ma:0x0';
}

export async function openMemory(ref?: string): Promise<void> {
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== 'xensim') {
    void vscode.window.showErrorMessage('xensim: Open Machine Memory needs a stopped xensim debug session.');
    return;
  }
  ref ??= await vscode.window.showInputBox({
    title: 'xensim: Open Machine Memory',
    prompt: 'A memory reference: ma:<addr> (machine), d<domid>:gpa:<addr> (guest-physical), d<domid>[.v<vcpu>]:gva:<addr> (guest-virtual)',
    value: await suggestion(session),
    validateInput: (v) => (/^(ma|d\d+(\.v\d+)?:(gva|gpa|ma)):(0x[0-9a-f]+|\d+)$/i.test(v.trim()) ? undefined : 'e.g. ma:0x100000 or d1:gva:0x100000'),
  });
  if (!ref) return;
  ref = ref.trim();
  if (vscode.extensions.getExtension('ms-vscode.hexeditor')) {
    // VS Code's memory view: the same URI its Variables view opens for a memoryReference
    const uri = vscode.Uri.from({ scheme: 'vscode-debug-memory', authority: session.id, path: `/${encodeURIComponent(ref)}/memory.bin` });
    await vscode.commands.executeCommand('vscode.openWith', uri, 'hexEditor.hexedit');
    return;
  }
  const uri = vscode.Uri.from({ scheme: MEMORY_SCHEME, path: `/${ref.replace(/[:/]/g, '_')}.hex`, query: encodeURIComponent(ref) });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
}
