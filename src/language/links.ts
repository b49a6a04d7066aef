/**
 * Document links: the file names in an xl config (kernel, ramdisk, firmware_override — the
 * keys the config parser reads as paths) and in %include lines open with a click.
 */
import * as path from 'path';
import { DocumentLink, Range } from 'vscode-languageserver';
import { SourceIndex, pathToUri, uriToPath } from './sourceIndex';
import { splitLines, xlValueEnd } from './text';
import { xlKey } from './xlKeys';
import { scanXl } from './xlOutline';

export function xlDocumentLinks(uri: string, text: string): DocumentLink[] {
  const file = uriToPath(uri);
  if (!file) return [];
  const lines = splitLines(text);
  const links: DocumentLink[] = [];
  for (const s of scanXl(text)) {
    if (!xlKey(s.key)?.path) continue;
    const line = lines[s.valueLine] ?? '';
    const quote = line[s.valueStart];
    if (quote !== '"' && quote !== "'") continue;
    const end = xlValueEnd(line, s.valueStart);
    const value = line.slice(s.valueStart + 1, line[end - 1] === quote ? end - 1 : end);
    if (!value) continue;
    links.push({
      range: Range.create(s.valueLine, s.valueStart + 1, s.valueLine, s.valueStart + 1 + value.length),
      target: pathToUri(path.resolve(path.dirname(file), value)),
    });
  }
  return links;
}

export function asmDocumentLinks(index: SourceIndex, uri: string): DocumentLink[] {
  const links: DocumentLink[] = [];
  for (const inc of index.outline(uri)?.includes ?? []) {
    const target = index.resolveInclude(uri, inc.path);
    if (target) links.push({ range: Range.create(inc.line, inc.start, inc.line, inc.end), target });
  }
  return links;
}
