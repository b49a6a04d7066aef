import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, MarkupContent, SignatureHelp } from 'vscode-languageserver';
import { buildOnce, LspClient, positionOf } from './lspClient';

const GUEST = `; a PV guest
%include "lib.inc"
%define STACK_SIZE 4096

%macro print 2
        mov ecx, %1
%%again:
        loop %%again
%endmacro

section .text
start:  mov esp, stack + STACK_SIZE
.loop:  dec ecx
        jnz .loop
        print msg, msg_len
        mov eax, __HYPERVISOR_console_io
        add eax, ebx
other:
.loop:  jmp .loop
        jmp start.loop

section .data
msg     db "hello", 10
msg_len equ $ - msg
`;

const LIB = `; shared by guests
__HYPERVISOR_console_io equ 18
struc point
.x      resd 1
.y      resd 1
endstruc
stack:  times 64 dd 0
`;

const CONFIG = `# a domain
name = "hello"
memory = 64
on_crash = "destroy"
memroy = 32
kernel = "guest.bin"
`;

function hoverText(h: Hover | null): string {
  assert.ok(h, 'no hover');
  return (h.contents as MarkupContent).value;
}

describe('language server over JSON-RPC', function () {
  this.timeout(30000);
  let dir: string;
  let client: LspClient;
  let capabilities: Record<string, unknown>;
  let guestUri: string;
  let libUri: string;
  let cfgUri: string;
  let guestDiagnostics: Promise<Diagnostic[]>;

  before(async () => {
    buildOnce();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-lsp-'));
    // the guest is an unsaved buffer; lib.inc is only on disk, reached through %include
    fs.writeFileSync(path.join(dir, 'lib.inc'), LIB);
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'deep.inc'), '');
    guestUri = pathToFileURL(path.join(dir, 'guest.asm')).toString();
    libUri = pathToFileURL(path.join(dir, 'lib.inc')).toString();
    cfgUri = pathToFileURL(path.join(dir, 'hello.xl')).toString();
    ({ client, capabilities } = await LspClient.start(pathToFileURL(dir).toString()));
    guestDiagnostics = client.nextDiagnostics(guestUri);
    client.open(guestUri, 'xen-asm', GUEST);
  });

  after(async () => {
    await client?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const at = (needle: string, offset = 0, n = 0) => ({ textDocument: { uri: guestUri }, position: positionOf(GUEST, needle, offset, n) });

  it('announces its features', () => {
    for (const c of ['hoverProvider', 'definitionProvider', 'referencesProvider', 'documentSymbolProvider', 'completionProvider', 'signatureHelpProvider']) {
      assert.ok(capabilities[c], c);
    }
  });

  it('assembles the sample guest (with its include) without a complaint', async () => {
    assert.deepStrictEqual(await guestDiagnostics, []);
  });

  it('lists labels with their local labels, macros and constants as document symbols', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: guestUri } });
    const names = symbols.map((s) => s.name);
    assert.deepStrictEqual(names, ['STACK_SIZE', 'print', 'start', 'other', 'msg', 'msg_len']);
    const start = symbols.find((s) => s.name === 'start')!;
    assert.deepStrictEqual(start.children!.map((c) => c.name), ['.loop']);
    assert.strictEqual(start.selectionRange.start.line, positionOf(GUEST, 'start:').line);
    // a label's range runs to the end of the line before the next label (breadcrumbs follow the cursor)
    assert.deepStrictEqual(start.range.end, { line: positionOf(GUEST, 'other:').line - 1, character: '        mov eax, __HYPERVISOR_console_io\n        add eax, ebx'.split('\n')[1].length });
    assert.deepStrictEqual(symbols.find((s) => s.name === 'print')!.children!.map((c) => c.name), ['%%again']);
    assert.strictEqual(symbols.find((s) => s.name === 'msg_len')!.detail, '$ - msg');
  });

  it('goes to the local label of the enclosing scope', async () => {
    const first = await client.request<Location[]>('textDocument/definition', at('jnz .loop', 5));
    assert.deepStrictEqual(first.map((l) => l.range.start), [positionOf(GUEST, '.loop:')]);
    const second = await client.request<Location[]>('textDocument/definition', at('jmp .loop', 5));
    assert.deepStrictEqual(second.map((l) => l.range.start), [positionOf(GUEST, '.loop:', 0, 1)]);
    const qualified = await client.request<Location[]>('textDocument/definition', at('start.loop', 7));
    assert.deepStrictEqual(qualified.map((l) => l.range.start), [positionOf(GUEST, '.loop:')]);
  });

  it('goes to macros, defines, equs and macro-local labels', async () => {
    const cases: [string, number, string][] = [
      ['print msg', 2, 'print 2'],
      ['+ STACK_SIZE', 4, 'STACK_SIZE 4096'],
      ['msg, msg_len', 7, 'msg_len equ'],
      ['loop %%again', 7, '%%again:'],
    ];
    for (const [needle, offset, target] of cases) {
      const locs = await client.request<Location[]>('textDocument/definition', at(needle, offset));
      assert.strictEqual(locs.length, 1, needle);
      assert.strictEqual(locs[0].uri, guestUri);
      assert.deepStrictEqual(locs[0].range.start, positionOf(GUEST, target), needle);
    }
  });

  it('follows %include to a file on disk', async () => {
    const locs = await client.request<Location[]>('textDocument/definition', at('stack +', 1));
    assert.strictEqual(locs.length, 1);
    assert.strictEqual(locs[0].uri, libUri);
    assert.deepStrictEqual(locs[0].range.start, positionOf(LIB, 'stack:'));
  });

  it('finds every reference, with and without the declaration', async () => {
    const withDecl = await client.request<Location[]>('textDocument/references', { ...at('msg     db'), context: { includeDeclaration: true } });
    const lines = withDecl.map((l) => l.range.start.line).sort((a, b) => a - b);
    assert.deepStrictEqual(lines, [positionOf(GUEST, 'print msg').line, positionOf(GUEST, 'msg     db').line, positionOf(GUEST, '$ - msg').line]);
    const without = await client.request<Location[]>('textDocument/references', { ...at('msg     db'), context: { includeDeclaration: false } });
    assert.strictEqual(without.length, 2);
  });

  it('finds references in workspace files that are not open, and names across the workspace', async () => {
    const other = path.join(dir, 'other.asm');
    fs.writeFileSync(other, '%include "lib.inc"\nfar_away: mov esi, stack\n');
    try {
      const refs = await client.request<Location[]>('textDocument/references', { ...at('stack +', 1), context: { includeDeclaration: false } });
      assert.deepStrictEqual(refs.map((r) => [path.basename(new URL(r.uri).pathname), r.range.start.line]).sort(), [['guest.asm', positionOf(GUEST, 'stack +').line], ['other.asm', 1]]);
      const found = await client.request<{ name: string; location: Location }[]>('workspace/symbol', { query: 'faraw' });
      assert.deepStrictEqual(found.map((f) => [f.name, path.basename(new URL(f.location.uri).pathname)]), [['far_away', 'other.asm']]);
      const all = await client.request<{ name: string }[]>('workspace/symbol', { query: 'msg' });
      assert.ok(all.some((f) => f.name === 'msg_len'), 'open buffers count too');
    } finally {
      fs.rmSync(other);
    }
  });

  describe('rename', () => {
    type Edit = { changes: Record<string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]> };
    const edits = (e: Edit, u: string, text: string): string[] =>
      (e.changes[u] ?? []).map((c) => `${c.range.start.line}:${text.split('\n')[c.range.start.line].slice(c.range.start.character, c.range.end.character)}→${c.newText}`).sort();

    it('offers the name as written', async () => {
      const r = await client.request<{ placeholder: string }>('textDocument/prepareRename', at('jnz .loop', 5));
      assert.strictEqual(r.placeholder, '.loop');
    });

    it('renames a local label in its own scope, short and qualified uses alike', async () => {
      const e = await client.request<Edit>('textDocument/rename', { ...at('jnz .loop', 5), newName: '.again' });
      const l = (needle: string, n = 0) => positionOf(GUEST, needle, 0, n).line;
      assert.deepStrictEqual(edits(e, guestUri, GUEST), [`${l('.loop:')}:.loop→.again`, `${l('jnz .loop')}:.loop→.again`, `${l('start.loop')}:start.loop→start.again`].sort());
    });

    it('renames a label with the qualified uses of its locals, in every file that writes it', async () => {
      const e = await client.request<Edit>('textDocument/rename', { ...at('start:'), newName: 'begin' });
      assert.deepStrictEqual(edits(e, guestUri, GUEST), [`${positionOf(GUEST, 'start:').line}:start→begin`, `${positionOf(GUEST, 'start.loop').line}:start→begin`].sort());
      const s = await client.request<Edit>('textDocument/rename', { ...at('stack +', 1), newName: 'kstack' });
      assert.deepStrictEqual(edits(s, libUri, LIB), [`${positionOf(LIB, 'stack:').line}:stack→kstack`]);
      assert.deepStrictEqual(edits(s, guestUri, GUEST), [`${positionOf(GUEST, 'stack +').line}:stack→kstack`]);
    });

    it('refuses bad names, clashes and names from xensim\'s own xen.inc', async () => {
      await assert.rejects(client.request('textDocument/rename', { ...at('msg     db'), newName: '1abc' }), /not a name NASM accepts/);
      await assert.rejects(client.request('textDocument/rename', { ...at('msg     db'), newName: 'msg_len' }), /already defined/);
      const u = pathToFileURL(path.join(dir, 'uses-xen.asm')).toString();
      const src = '%include "xen.inc"\n        mov eax, SCHEDOP_yield\n';
      client.open(u, 'xen-asm', src);
      await assert.rejects(client.request('textDocument/prepareRename', { textDocument: { uri: u }, position: positionOf(src, 'SCHEDOP_yield', 2) }), /xen\.inc, outside the workspace/);
    });
  });

  it('explains an instruction and the flags it affects', async () => {
    const text = hoverText(await client.request<Hover>('textDocument/hover', at('add eax', 1)));
    assert.match(text, /\*\*add\*\*/);
    assert.match(text, /Flags: OF SF ZF AF PF CF/);
    const jnz = hoverText(await client.request<Hover>('textDocument/hover', at('jnz', 1)));
    assert.match(jnz, /Jump if not zero \(ZF=0\)/);
    assert.match(jnz, /Flags: not affected/);
  });

  it('explains registers, hypercalls and user names', async () => {
    assert.match(hoverText(await client.request<Hover>('textDocument/hover', at('esp,', 1))), /32-bit general register \(encoding 4\)/);
    const hc = hoverText(await client.request<Hover>('textDocument/hover', at('__HYPERVISOR_console_io', 3)));
    assert.match(hc, /\(constant\) \*\*__HYPERVISOR_console_io\*\* — lib\.inc:2/);
    assert.match(hc, /hypercall 18/);
    assert.match(hc, /\| ebx \| `cmd: CONSOLEIO_\*` \|/);
    const label = hoverText(await client.request<Hover>('textDocument/hover', at('msg_len', 2)));
    assert.match(label, /msg_len equ \$ - msg/);
    // the last assembly knows values and addresses: msg is "hello", 10 (6 bytes)
    assert.match(label, /Value: 6 \(0x6\)/);
    const start = hoverText(await client.request<Hover>('textDocument/hover', at('start:', 1)));
    // lib.inc's `stack: times 64 dd 0` comes first in .text
    assert.match(start, /Address: 0x00000100 in \.text, \d+ bytes/);
    const stack = hoverText(await client.request<Hover>('textDocument/hover', at('stack +', 1)));
    assert.match(stack, /\(label\) \*\*stack\*\* — lib\.inc:7[^]*Address: 0x00000000 in \.text, 256 bytes/);
  });

  it('explains directives, preprocessor directives and $', async () => {
    const inc = await client.request<Hover>('textDocument/hover', at('%include', 3));
    assert.match(hoverText(inc), /^\*\*%include\*\* — Insert another source file/);
    assert.deepStrictEqual(inc!.range!.start, positionOf(GUEST, '%include'));
    assert.match(hoverText(await client.request<Hover>('textDocument/hover', at('section .text', 2))), /^\*\*section\*\*/);
    assert.match(hoverText(await client.request<Hover>('textDocument/hover', at('$ - msg'))), /start of this line/);
  });

  it('shows a number in every radix', async () => {
    const doc = { textDocument: { uri: guestUri }, position: positionOf(GUEST, ', 10', 3) };
    assert.strictEqual(hoverText(await client.request<Hover>('textDocument/hover', doc)), '10 · 0xa · 0o12 · 0b1010');
  });

  it('completes mnemonics and macros at the start of a line', async () => {
    const items = await client.request<CompletionItem[]>('textDocument/completion', at('        add eax', 8));
    const labels = new Set(items.map((i) => i.label));
    for (const l of ['mov', 'cmpxchg8b', 'vmcall', 'print', 'bits', 'times']) assert.ok(labels.has(l), l);
    assert.ok(!labels.has('eax'));
  });

  it('completes preprocessor directives after %, replacing from the %', async () => {
    const u = pathToFileURL(path.join(dir, 'pre.asm')).toString();
    client.open(u, 'xen-asm', '%inc');
    const items = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: u }, position: { line: 0, character: 4 } });
    const inc = items.find((i) => i.label === '%include')!;
    assert.deepStrictEqual(inc.textEdit, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } }, newText: '%include' });
  });

  it('completes registers and names in operands, local labels after a dot', async () => {
    const items = await client.request<CompletionItem[]>('textDocument/completion', at('eax, ebx', 5));
    const labels = new Set(items.map((i) => i.label));
    for (const l of ['ebx', 'cr3', 'msg', 'msg_len', 'stack', 'STACK_SIZE', '.loop', 'other.loop', 'point.x', 'dword']) assert.ok(labels.has(l), l);
    assert.ok(!labels.has('mov'));
    const locals = await client.request<CompletionItem[]>('textDocument/completion', at('jnz .loop', 5));
    // after a dot only the local labels of the enclosing label make sense to NASM
    assert.deepStrictEqual(locals.map((i) => i.label), ['.loop']);
  });

  it('sees an unsaved include buffer instead of the file on disk', async () => {
    client.open(libUri, 'xen-asm', `${LIB}fresh: dd 1\n`);
    const doc = `${GUEST}        mov eax, fresh\n`;
    client.change(guestUri, doc);
    const locs = await client.request<Location[]>('textDocument/definition', {
      textDocument: { uri: guestUri },
      position: positionOf(doc, 'eax, fresh', 6),
    });
    assert.strictEqual(locs[0]?.uri, libUri);
    client.change(guestUri, GUEST);
  });

  describe('assembler diagnostics', () => {
    const uri = () => pathToFileURL(path.join(dir, 'bad.asm')).toString();

    it('reports the assembler\'s errors where they are, as the user types', async () => {
      const src = 'bits 32\nstart:  mov eax, undefined_x\n        frob eax\n';
      const diags = client.nextDiagnostics(uri());
      client.open(uri(), 'xen-asm', src);
      const d = await diags;
      assert.deepStrictEqual(
        d.map((x) => [x.range.start.line, x.range.start.character, x.range.end.character, x.severity, x.source]),
        [
          [1, 17, 28, 1, 'xensim'],
          [2, 8, 12, 1, 'xensim'],
        ],
      );
      assert.match(d[0].message, /undefined_x/);
      assert.match(d[1].message, /frob/);
      const fixed = client.nextDiagnostics(uri());
      client.change(uri(), 'bits 32\nstart:  mov eax, start\n');
      assert.deepStrictEqual(await fixed, []);
    });

    it('suggests the nearest mnemonic, macro or name, as a quick fix', async () => {
      const src = 'bits 32\n%macro print 1\n%endmacro\nstart: nop\n.loop: jmp .lop\n  movv eax, 1\n  MOVV eax, strat\n  prnt 1\nother:\n.lap: jmp .lop\n';
      const diags = client.nextDiagnostics(uri());
      client.change(uri(), src);
      const d = await diags;
      const fixes = d.map((x) => [x.range.start.line, (x.data as { replaceWith?: string } | undefined)?.replaceWith]);
      // in other's scope .lop is nearest to other's own .lap, never to start's .loop
      assert.deepStrictEqual(fixes, [[4, '.loop'], [5, 'mov'], [6, 'MOV'], [6, 'start'], [7, 'print'], [9, '.lap']]);
      assert.match(d[0].message, /\(did you mean '\.loop'\?\)$/);
      const actions = await client.request<{ title: string }[]>('textDocument/codeAction', { textDocument: { uri: uri() }, range: d[3].range, context: { diagnostics: [d[3]] } });
      assert.deepStrictEqual(actions.map((a) => a.title), ["Change to 'start'"]);
    });

    it('shows an error inside an included file on the %include line', async () => {
      fs.writeFileSync(path.join(dir, 'broken.inc'), '; fine\n        mov eax, nowhere\n');
      const diags = client.nextDiagnostics(uri());
      client.change(uri(), 'bits 32\n%include "broken.inc"\n');
      const d = await diags;
      assert.strictEqual(d.length, 1);
      assert.deepStrictEqual(d[0].range.start, { line: 1, character: 10 });
      assert.match(d[0].message, /^broken\.inc:2:18: .*nowhere/);
      const incUri = pathToFileURL(path.join(dir, 'broken.inc')).toString();
      assert.strictEqual(d[0].relatedInformation![0].location.uri, incUri);
      assert.strictEqual(d[0].relatedInformation![0].location.range.start.line, 1);
      // opened, the include shows the problem in place, found by the guest's assembly
      const inPlace = client.nextDiagnostics(incUri);
      const guestOnOpen = client.nextDiagnostics(uri()); // the guest is checked again: its include changed hands
      client.open(incUri, 'xen-asm', '; fine\n        mov eax, nowhere\n');
      const own = await inPlace;
      assert.strictEqual((await guestOnOpen).length, 1);
      assert.deepStrictEqual(own.map((x) => [x.range.start, x.range.end.character]), [[{ line: 1, character: 17 }, 24]]);
      assert.match(own[0].message, /nowhere.*\(assembling bad\.asm\)$/);
      // fixing the include's buffer clears both
      const guestAgain = client.diagnosticsUntil(uri(), (x) => x.length === 0);
      const incAgain = client.diagnosticsUntil(incUri, (x) => x.length === 0);
      client.change(incUri, '; fine\n        mov eax, 0\n');
      await Promise.all([guestAgain, incAgain]);
    });

    it('finds xen.inc without configuration, and knows its hypercall macros', async () => {
      const src = 'bits 32\n%include "xen.inc"\nstart:  HYPERCALL2 sched_op, SCHEDOP_shutdown, esp\n        mov eax, __HYPERVISOR_console_io\n        HYPERCALL1 xen_version, 0\nhypercall_page: times 4096 db 0\n';
      const diags = client.nextDiagnostics(uri());
      client.change(uri(), src);
      assert.deepStrictEqual(await diags, []);
      const pos = (needle: string, offset: number) => ({ textDocument: { uri: uri() }, position: positionOf(src, needle, offset) });
      const def = await client.request<Location[]>('textDocument/definition', pos('__HYPERVISOR_console_io', 2));
      assert.match(def[0].uri, /guest\/include\/xen\.inc$/);
      const macro = hoverText(await client.request<Hover>('textDocument/hover', pos('HYPERCALL2', 2)));
      assert.match(macro, /\(macro\) \*\*HYPERCALL2\*\* — xen\.inc:\d+\n\n```xen-asm\n%macro HYPERCALL2 3\n```/);
      // the comment above a definition is its documentation
      const documented = hoverText(await client.request<Hover>('textDocument/hover', pos('HYPERCALL1', 2)));
      assert.match(documented, /load the argument registers/);
      const call = hoverText(await client.request<Hover>('textDocument/hover', pos('sched_op,', 2)));
      assert.match(call, /\*\*sched_op\*\* — hypercall 29/);
      const help = await client.request<SignatureHelp>('textDocument/signatureHelp', pos('SCHEDOP_shutdown', 3));
      assert.strictEqual(help.signatures[0].label, 'HYPERCALL2 hypercall, ebx: cmd: SCHEDOP_*, ecx: void *arg (depends on cmd)');
      assert.strictEqual(help.activeParameter, 1);
      const [from, to] = help.signatures[0].parameters![1].label as [number, number];
      assert.strictEqual(help.signatures[0].label.slice(from, to), 'ebx: cmd: SCHEDOP_*');
      // the sub-op argument offers its own family's constants first
      const args = await client.request<CompletionItem[]>('textDocument/completion', pos('SCHEDOP_shutdown', 0));
      const sorted = [...args].sort((a, b) => (a.sortText ?? String(a.label)).localeCompare(b.sortText ?? String(b.label)));
      assert.ok(sorted.slice(0, 5).every((i) => String(i.label).startsWith('SCHEDOP_')), sorted.slice(0, 5).map((i) => i.label).join());
      const names = await client.request<CompletionItem[]>('textDocument/completion', pos('sched_op,', 0));
      assert.strictEqual(names[0].label, 'set_trap_table');
      assert.ok(names.some((n) => n.label === 'event_channel_op' && n.detail === 'hypercall 32'));
    });
  });

  it('completes %include file names from the file\'s folder and the include paths', async () => {
    const u = pathToFileURL(path.join(dir, 'inc.asm')).toString();
    const src = '%include "';
    client.open(u, 'xen-asm', src);
    const items = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: u }, position: { line: 0, character: src.length } });
    const labels = items.map((i) => i.label);
    for (const l of ['lib.inc', 'sub/', 'xen.inc']) assert.ok(labels.includes(l), `${l} in ${labels}`);
    const deeper = '%include "sub/';
    client.change(u, deeper);
    const sub = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: u }, position: { line: 0, character: deeper.length } });
    assert.deepStrictEqual(sub.map((i) => [i.label, (i.textEdit as { newText: string }).newText]), [['deep.inc', 'sub/deep.inc']]);
  });

  describe('xl configs', () => {
    it('reports the config parser\'s errors and warnings, value by value', async () => {
      const diags = client.nextDiagnostics(cfgUri);
      client.open(cfgUri, 'xl-cfg', CONFIG);
      const d = await diags;
      assert.deepStrictEqual(
        d.map((x) => [x.severity, x.range.start, x.range.end.character, x.source]),
        [
          [2, positionOf(CONFIG, 'memroy'), positionOf(CONFIG, 'memroy').character + 6, 'xensim'],
          [1, positionOf(CONFIG, '"guest.bin"'), positionOf(CONFIG, '"guest.bin"').character + 11, 'xensim'],
        ],
      );
      assert.match(d[0].message, /unknown key 'memroy'; did you mean 'memory'\?/);
      assert.match(d[1].message, /kernel: file not found: .*guest\.bin/);
      // the typo's diagnostic offers the fix
      const actions = await client.request<{ title: string; edit: { changes: Record<string, { newText: string; range: unknown }[]> } }[]>('textDocument/codeAction', {
        textDocument: { uri: cfgUri },
        range: d[0].range,
        context: { diagnostics: d },
      });
      assert.deepStrictEqual(actions.map((a) => a.title), ["Change to 'memory'"]);
      assert.deepStrictEqual(actions[0].edit.changes[cfgUri], [{ range: d[0].range, newText: 'memory' }]);
      // once the kernel exists only the typo remains
      fs.writeFileSync(path.join(dir, 'guest.bin'), '');
      const again = client.nextDiagnostics(cfgUri);
      client.change(cfgUri, CONFIG);
      assert.deepStrictEqual((await again).map((x) => x.severity), [2]);
    });

    it('explains keys on hover', async () => {
      const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri: cfgUri }, position: positionOf(CONFIG, 'on_crash', 3) });
      assert.match(hoverText(h), /\*\*on_crash\*\* \(string\) — Action when the guest crashes \(default destroy\)/);
      assert.match(hoverText(h), /`coredump-restart`/);
      assert.doesNotMatch(hoverText(h), /not simulate/);
      const other = `${CONFIG}vnc = 1\n`;
      client.change(cfgUri, other);
      const vnc = await client.request<Hover>('textDocument/hover', { textDocument: { uri: cfgUri }, position: positionOf(other, 'vnc', 1) });
      assert.match(hoverText(vnc), /xensim does not simulate this key/);
      client.change(cfgUri, CONFIG);
    });

    it('completes keys, and the values of an enumerated key', async () => {
      const keys = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: cfgUri }, position: positionOf(CONFIG, 'kernel') });
      const vcpus = keys.find((k) => k.label === 'vcpus')!;
      assert.strictEqual(vcpus.insertText, 'vcpus = $1');
      assert.ok(vcpus.sortText! < keys.find((k) => k.label === 'name')!.sortText!, 'unset keys sort first');
      const values = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: cfgUri }, position: positionOf(CONFIG, '"destroy"', 1) });
      assert.deepStrictEqual(values.map((v) => v.label), ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart', 'soft-reset']);
      assert.strictEqual(values[0].insertText, 'destroy');
    });

    it('links file names to files and completes them relative to the config', async () => {
      const links = await client.request<{ range: { start: { line: number; character: number } }; target: string }[]>('textDocument/documentLink', { textDocument: { uri: cfgUri } });
      assert.deepStrictEqual(links.map((l) => [l.range.start, l.target]), [[positionOf(CONFIG, 'guest.bin'), pathToFileURL(path.join(dir, 'guest.bin')).toString()]]);
      const typed = `${CONFIG}ramdisk = "g`;
      client.change(cfgUri, typed);
      const end = { line: typed.split('\n').length - 1, character: 'ramdisk = "g'.length };
      const files = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: cfgUri }, position: end });
      const labels = files.map((f) => f.label);
      for (const f of ['guest.bin', 'lib.inc', 'sub/']) assert.ok(labels.includes(f), `${f} in ${labels}`);
      client.change(cfgUri, CONFIG);
    });

    it('links %include lines to the file they include', async () => {
      const links = await client.request<{ target: string }[]>('textDocument/documentLink', { textDocument: { uri: guestUri } });
      assert.deepStrictEqual(links.map((l) => l.target), [libUri]);
    });

    it('lists settings as document symbols', async () => {
      const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: cfgUri } });
      assert.deepStrictEqual(symbols.map((s) => s.name), ['name', 'memory', 'on_crash', 'memroy', 'kernel']);
    });
  });
});

describe('language server over node IPC (the VS Code client\'s transport)', function () {
  this.timeout(30000);

  it('answers hover with xensim.includePaths from initializationOptions', async () => {
    buildOnce();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-ipc-'));
    fs.mkdirSync(path.join(dir, 'inc'));
    fs.writeFileSync(path.join(dir, 'inc', 'consts.inc'), 'ANSWER equ 42\n');
    const { client } = await LspClient.start(pathToFileURL(dir).toString(), { includePaths: ['inc'] }, 'ipc');
    try {
      const uri = pathToFileURL(path.join(dir, 'g.asm')).toString();
      const src = '%include "consts.inc"\n        mov eax, ANSWER\n';
      const diags = client.nextDiagnostics(uri);
      client.open(uri, 'xen-asm', src);
      assert.deepStrictEqual(await diags, [], 'the include path (relative to the workspace) was used');
      const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(src, 'ANSWER', 1) });
      assert.match(hoverText(h), /\(constant\) \*\*ANSWER\*\* — consts\.inc:1[^]*Value: 42/);
    } finally {
      await client.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
