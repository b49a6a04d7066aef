/**
 * What a new guest project holds and what an example's .vscode folder holds: one generator, so
 * `xensim.newProject`, examples/<name>/.vscode and the debugger's initial configuration agree
 * (test/extension checks the examples against it). Pure: no VS Code, no file access.
 */

export interface LaunchConfiguration {
  type: 'xensim';
  request: 'launch';
  name: string;
  domains: string[];
  stopOnEntry: boolean;
  cwd: string;
  trace?: string;
}

export function launchConfiguration(name: string, domains: string[], trace?: string): LaunchConfiguration {
  const c: LaunchConfiguration = { type: 'xensim', request: 'launch', name, domains, stopOnEntry: false, cwd: '${workspaceFolder}' };
  if (trace) c.trace = trace;
  return c;
}

/** .vscode/launch.json: debug all the folder's domains, and each alone when there are several. */
export function launchJson(configFiles: string[]): string {
  const rel = (f: string) => '${workspaceFolder}/' + f;
  const stem = (f: string) => f.replace(/\.(xl\.cfg|cfg|xl)$/, '');
  const configurations: LaunchConfiguration[] = [];
  if (configFiles.length > 1) configurations.push(launchConfiguration('xensim: all domains', configFiles.map(rel), '${workspaceFolder}/trace.jsonl'));
  for (const f of configFiles) configurations.push(launchConfiguration(`xensim: ${stem(f)}`, [rel(f)], '${workspaceFolder}/trace.jsonl'));
  return JSON.stringify({ version: '0.2.0', configurations }, null, 2) + '\n';
}

/** .vscode/settings.json: this folder's `.cfg` files are xl domain configs (see src/language/README.md). */
export function settingsJson(): string {
  return JSON.stringify({ 'files.associations': { '*.cfg': 'xl-cfg' } }, null, 2) + '\n';
}
