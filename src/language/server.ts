/**
 * The xensim language server: NASM guest sources (`xen-asm`) and xl domain configs
 * (`xl-cfg`). Each feature lives in its own module; this file only wires them to LSP.
 * Transport comes from the command line (--node-ipc from the VS Code client, --stdio for
 * other editors and the tests).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CodeActionKind,
  ErrorCodes,
  Position,
  RenameParams,
  ResponseError,
  createConnection,
  Diagnostic,
  DidChangeConfigurationNotification,
  InitializeParams,
  InitializeResult,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { quickFixes } from './codeActions';
import { asmCompletion, xlCompletion } from './completion';
import { AsmSymbol as AssembledSymbol } from '../asm';
import { checkAsm, isIncludeOnly, SOURCE, xlConfigDiagnostics } from './diagnostics';
import { AssembledLookup, asmHover, xlHover } from './hover';
import { findDefinition, findReferences } from './navigation';
import { pathToUri, SourceIndex, uriToPath } from './sourceIndex';
import { asmDocumentLinks, xlDocumentLinks } from './links';
import { insideFolders, prepareRename, rename, RenameError } from './rename';
import { asmSignatureHelp } from './signature';
import { asmDocumentSymbols, xlDocumentSymbols } from './symbols';
import { splitLines } from './text';
import { workspaceSources, workspaceSymbols } from './workspace';
import { scanXl } from './xlOutline';

/** Settings the client may pass (initializationOptions or the `xensim` configuration section). */
export interface ServerSettings {
  /** directories searched for %include after the including file's own */
  includePaths?: string[];
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

function readDocument(uri: string): string | undefined {
  const open = documents.get(uri);
  if (open) return open.getText();
  const file = uriToPath(uri);
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The guest include files shipped with xensim (guest/include/xen.inc), next to dist/ in the
 * extension and the repository: `%include "xen.inc"` works in any workspace.
 */
const bundledInclude = [path.resolve(__dirname, '..', 'guest', 'include')].filter((d) => fs.existsSync(d));

function listDirectory(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
  } catch {
    return [];
  }
}

function fileExists(file: string): boolean {
  return documents.get(pathToUri(file)) !== undefined || fs.existsSync(file);
}

const index = new SourceIndex(readDocument, bundledInclude, listDirectory);
let canPullConfiguration = false;

function isAsm(doc: TextDocument): boolean {
  return doc.languageId === 'xen-asm' || /\.(asm|nasm|inc)$/i.test(doc.uri);
}

/** The workspace folder relative include paths are resolved against. */
let workspaceRoot: string | undefined;
/** Every workspace folder, searched for sources that are not open (references, workspace symbols). */
let workspaceFolders: string[] = [];

function openSources(): string[] {
  return documents.all().filter(isAsm).map((d) => d.uri);
}

function applySettings(settings: ServerSettings | undefined): void {
  if (!Array.isArray(settings?.includePaths)) return;
  index.includePaths = [
    ...settings.includePaths
      .filter((p): p is string => typeof p === 'string')
      .map((p) => (workspaceRoot && !path.isAbsolute(p) ? path.resolve(workspaceRoot, p) : p)),
    ...bundledInclude,
  ];
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  workspaceRoot = folder ? uriToPath(folder) : undefined;
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  workspaceFolders = folders.map(uriToPath).filter((f): f is string => f !== undefined);
  applySettings(params.initializationOptions as ServerSettings | undefined);
  canPullConfiguration = !!params.capabilities.workspace?.configuration;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      completionProvider: { triggerCharacters: ['.', '%', '=', '"', '/'] },
      signatureHelpProvider: { triggerCharacters: [' ', ','] },
      documentLinkProvider: { resolveProvider: false },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      workspaceSymbolProvider: true,
      renameProvider: { prepareProvider: true },
    },
    serverInfo: { name: 'xensim-language-server' },
  };
});

connection.onInitialized(() => {
  if (canPullConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'xensim' });
});

connection.onDidChangeConfiguration(async (change) => {
  const pushed = (change.settings as { xensim?: ServerSettings } | undefined)?.xensim;
  applySettings(pushed ?? (canPullConfiguration ? await connection.workspace.getConfiguration('xensim') : undefined));
  for (const doc of documents.all()) schedule(doc.uri);
});

/** The assembler's symbols of each open guest's last assembly (for addresses in hover). */
const assembled = new Map<string, AssembledSymbol[]>();

/**
 * A symbol's address or value: from the guest being edited, else from any open guest whose
 * assembly defined it in the same file (a label of a shared include).
 */
const lookupAssembled: AssembledLookup = (uri, name, definedIn) => {
  const file = uriToPath(definedIn);
  for (const u of [uri, ...assembled.keys()]) {
    const hit = assembled.get(u)?.find((s) => s.name === name && (file === undefined || s.file === file));
    if (hit) return hit;
  }
  return undefined;
};

/** For each open guest: the problems its last assembly found inside the files it includes. */
const inIncludes = new Map<string, Map<string, Diagnostic[]>>();

/**
 * A file other open guests include is not checked on its own (it names their labels); it
 * shows what their assemblies found in it.
 */
function includedByOpenGuest(uri: string): boolean {
  return documents.all().some((o) => o.uri !== uri && isAsm(o) && index.closure(o.uri).includes(uri));
}

function publishIncluded(uri: string): void {
  const doc = documents.get(uri);
  if (!doc) return;
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const [guest, files] of inIncludes) {
    if (guest === uri) continue;
    for (const d of files.get(uri) ?? []) {
      const key = `${d.range.start.line}:${d.range.start.character}:${d.message}`;
      if (!seen.has(key)) diagnostics.push(d);
      seen.add(key);
    }
  }
  void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
}

function validate(doc: TextDocument): void {
  let diagnostics: Diagnostic[];
  try {
    if (isAsm(doc) && (isIncludeOnly(doc.uri) || includedByOpenGuest(doc.uri))) {
      publishIncluded(doc.uri);
      return;
    }
    if (isAsm(doc)) {
      const check = checkAsm(index, doc.uri);
      diagnostics = check.diagnostics;
      assembled.set(doc.uri, check.symbols);
      const before = [...(inIncludes.get(doc.uri)?.keys() ?? [])];
      inIncludes.set(doc.uri, check.included);
      for (const u of new Set([...before, ...check.included.keys()])) publishIncluded(u);
    } else diagnostics = xlConfigDiagnostics(doc.uri, doc.getText(), fileExists);
  } catch (e) {
    // a bug in a checker must not silence the others or stop the server
    connection.console.error(`${SOURCE}: checking ${doc.uri} failed: ${(e as Error).stack ?? e}`);
    diagnostics = [];
  }
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
}

/**
 * Documents waiting to be checked. Changes that arrive together (fast typing, a paste, an
 * include and its guests) are checked once, at their latest text, when the messages already
 * received have been handled: no wall-clock delay decides anything.
 */
const pending = new Set<string>();

function schedule(uri: string): void {
  if (pending.size === 0) setImmediate(flush);
  pending.add(uri);
}

function flush(): void {
  const uris = [...pending];
  pending.clear();
  for (const uri of uris) {
    const doc = documents.get(uri);
    if (doc) validate(doc);
  }
}

documents.onDidChangeContent((e) => {
  schedule(e.document.uri);
  // guests that include the changed file see its new text at once
  for (const other of documents.all()) {
    if (other.uri !== e.document.uri && isAsm(other) && index.closure(other.uri).includes(e.document.uri)) schedule(other.uri);
  }
});
documents.onDidClose((e) => {
  index.forget(e.document.uri);
  assembled.delete(e.document.uri);
  const files = [...(inIncludes.get(e.document.uri)?.keys() ?? [])];
  inIncludes.delete(e.document.uri);
  for (const u of files) publishIncluded(u);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

// Every handler answers from the document it is asked about; an exception becomes an empty
// answer rather than taking the server down (a half-typed file is the normal case).
function guarded<P extends { textDocument: { uri: string } }, R>(empty: R, fn: (doc: TextDocument, p: P) => R): (p: P) => R {
  return (p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return empty;
    try {
      return fn(doc, p);
    } catch (e) {
      connection.console.error(`${SOURCE}: ${(e as Error).message}`);
      return empty;
    }
  };
}

connection.onHover(guarded(null, (doc, p) => (isAsm(doc) ? asmHover(index, doc.uri, doc.getText(), p.position, lookupAssembled) : xlHover(doc.getText(), p.position))));
connection.onCompletion(guarded([], (doc, p) => (isAsm(doc) ? asmCompletion(index, doc.uri, doc.getText(), p.position) : xlCompletion(index, doc.uri, doc.getText(), p.position))));
connection.onSignatureHelp(guarded(null, (doc, p) => (isAsm(doc) ? asmSignatureHelp(doc.getText(), p.position) : null)));
connection.onDocumentLinks(guarded([], (doc) => (isAsm(doc) ? asmDocumentLinks(index, doc.uri) : xlDocumentLinks(doc.uri, doc.getText()))));
connection.onCodeAction(guarded([], (doc, p) => quickFixes(doc.uri, p.context.diagnostics)));
connection.onDefinition(guarded([], (doc, p) => (isAsm(doc) ? findDefinition(index, doc.uri, doc.getText(), p.position) : [])));
connection.onReferences(
  guarded([], (doc, p) =>
    isAsm(doc)
      ? findReferences(index, doc.uri, doc.getText(), p.position, p.context.includeDeclaration, [...openSources(), ...workspaceSources(workspaceFolders)])
      : [],
  ),
);
connection.onDocumentSymbol(
  guarded([], (doc) => (isAsm(doc) ? asmDocumentSymbols(index.outline(doc.uri)!, splitLines(doc.getText())) : xlDocumentSymbols(scanXl(doc.getText())))),
);

/** Rename answers with the reason it cannot rename, shown by the editor. */
function renameHandler<P extends { textDocument: { uri: string }; position: Position }, R>(fn: (doc: TextDocument, p: P) => R): (p: P) => R | ResponseError<void> | null {
  return (p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc || !isAsm(doc)) return null;
    try {
      return fn(doc, p);
    } catch (e) {
      if (e instanceof RenameError) return new ResponseError<void>(ErrorCodes.InvalidRequest, e.message);
      connection.console.error(`${SOURCE}: ${(e as Error).message}`);
      return null;
    }
  };
}

/** Rename edits the workspace's files (the open ones when no folder is open), never xensim's own includes. */
const editable = (uri: string): boolean =>
  !insideFolders(bundledInclude)(uri) && (workspaceFolders.length ? insideFolders(workspaceFolders)(uri) : documents.get(uri) !== undefined);
connection.onPrepareRename(renameHandler((doc, p) => prepareRename(index, doc.uri, doc.getText(), p.position, editable)));
connection.onRenameRequest(
  renameHandler((doc, p: RenameParams) => rename(index, doc.uri, doc.getText(), p.position, p.newName, [...openSources(), ...workspaceSources(workspaceFolders)], editable)),
);

connection.onWorkspaceSymbol((p) => {
  try {
    return workspaceSymbols(index, [...new Set([...openSources(), ...workspaceSources(workspaceFolders)])], p.query);
  } catch (e) {
    connection.console.error(`${SOURCE}: ${(e as Error).message}`);
    return [];
  }
});

documents.listen(connection);
connection.listen();
