// The extension's parts that need no VS Code: which configs F5 starts, the examples' .vscode
// folders, the `xensim/domains` request over the real stdio adapter, the trace and memory texts.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { chooseConfigs, domainsFor, kernelOf, looksLikeDomainConfig } from '../../src/extension/discover';
import { launchJson, settingsJson } from '../../src/extension/template';
import { formatTraceText, hexDump } from '../../src/extension/text';
import { parseLaunchArguments } from '../../src/debug/launch';
import type { DomainsBody } from '../../src/debug/domains';
import { launchTo, root, useAdapter } from '../debug/helpers';
import { exampleConfigs } from './writeExampleWorkspaces';

const examples = path.join(root, 'examples');
const read = (f: string) => ({ file: f, text: fs.readFileSync(f, 'utf8') });
const cfgsOf = exampleConfigs;
const exampleDirs = fs.readdirSync(examples).filter((e) => fs.statSync(path.join(examples, e)).isDirectory());

describe('extension/discover: the configs F5 starts', () => {
  const all = exampleDirs.flatMap((e) => cfgsOf(path.join(examples, e)).map((f) => read(path.join(examples, e, f))));

  it('tells domain configs from other .cfg files', () => {
    for (const c of all) assert.ok(looksLikeDomainConfig(c.text), c.file);
    assert.ok(!looksLikeDomainConfig('[core]\n\trepositoryformatversion = 0\n'));
    assert.ok(!looksLikeDomainConfig('name = "x"\n'));
    assert.strictEqual(kernelOf('/a/b/hello.cfg', 'kernel = "hello.asm"\n'), '/a/b/hello.asm');
  });

  it('starts the active config, the configs of the active kernel source, or one folder nearest the root', () => {
    const sched = path.join(examples, 'scheduler');
    assert.deepStrictEqual(chooseConfigs(examples, all, path.join(sched, 'w512.cfg')), [path.join(sched, 'w512.cfg')]);
    assert.deepStrictEqual(chooseConfigs(examples, all, path.join(sched, 'spin.asm')), cfgsOf(sched).map((f) => path.join(sched, f)));
    assert.deepStrictEqual(chooseConfigs(examples, all, path.join(examples, 'hello', 'hello.asm')), [path.join(examples, 'hello', 'hello.cfg')]);
    // nothing active: the first folder (by name) of the shallowest configs, not every example
    const picked = chooseConfigs(examples, all);
    assert.ok(picked.length >= 1 && new Set(picked.map((p) => path.dirname(p))).size === 1, picked.join());
    assert.deepStrictEqual(chooseConfigs(path.join(examples, 'hello'), all.filter((c) => c.file.includes('hello'))), [path.join(examples, 'hello', 'hello.cfg')]);
    assert.deepStrictEqual(chooseConfigs(examples, []), []);
    assert.deepStrictEqual(domainsFor('/w', ['/w/a/b.cfg', '/elsewhere/c.cfg']), ['${workspaceFolder}/a/b.cfg', '/elsewhere/c.cfg']);
  });
});

describe('extension/examples: every example opens as a workspace with a working launch.json', () => {
  // a folder without configs of its own (examples/xtf points at ../shared/xtf) has its own test
  for (const e of exampleDirs.filter((d) => cfgsOf(path.join(examples, d)).length)) {
    it(`examples/${e}/.vscode matches the template and every configuration launches`, () => {
      const dir = path.join(examples, e);
      const cfgs = cfgsOf(dir);
      const fix = 'run: node -r esbuild-register test/extension/writeExampleWorkspaces.ts';
      assert.ok(fs.existsSync(path.join(dir, '.vscode', 'launch.json')), `examples/${e}/.vscode/launch.json is missing; ${fix}`);
      const launch = fs.readFileSync(path.join(dir, '.vscode', 'launch.json'), 'utf8');
      assert.strictEqual(launch, launchJson(cfgs), `examples/${e}/.vscode/launch.json differs from the template; ${fix}`);
      assert.strictEqual(fs.readFileSync(path.join(dir, '.vscode', 'settings.json'), 'utf8'), settingsJson());
      const configurations = (JSON.parse(launch) as { configurations: Array<Record<string, unknown>> }).configurations;
      assert.ok(configurations.length >= cfgs.length);
      for (const c of configurations) {
        // VS Code substitutes ${workspaceFolder} before the adapter sees the configuration
        const resolved = JSON.parse(JSON.stringify(c).split('${workspaceFolder}').join(dir.split(path.sep).join('/'))) as Record<string, unknown>;
        const parsed = parseLaunchArguments(resolved, os.tmpdir());
        assert.strictEqual(parsed.cwd, dir);
        assert.deepStrictEqual(parsed.configs.map((x) => x.file).sort(), (resolved.domains as string[]).map((d) => path.resolve(d)).sort());
      }
    });
  }
});

describe('extension/texts', () => {
  it('dumps memory as offset, hex and ASCII, and says where mapping ends', () => {
    const text = hexDump(0x100000, Buffer.from('Hello from a PV guest!\0\x01'), 4);
    assert.strictEqual(text.split('\n')[0], '00100000  48 65 6c 6c 6f 20 66 72 6f 6d 20 61 20 50 56 20  Hello from a PV ');
    assert.strictEqual(text.split('\n')[1], '00100010  67 75 65 73 74 21 00 01                          guest!..');
    assert.match(text, /4 bytes after this are not mapped/);
  });
});

describe('extension/xensim-domains request over the stdio adapter', function () {
  this.timeout(60000);
  const h = useAdapter();

  it('answers at a hypercall stop with both domains, the vCPU inside Xen, time and instructions; the trace reads back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-ext-'));
    const trace = path.join(dir, 'trace.jsonl');
    const stop = await launchTo(h.dc, { domains: [path.join(examples, 'hello', 'hello.cfg')], trace }, (dc) =>
      dc.customRequest('setFunctionBreakpoints', { breakpoints: [{ name: 'hypercall:console_io', condition: 'domid == 1' }] }),
    );
    assert.strictEqual(stop.body.threadId, 1001);
    const r = (await h.dc.customRequest('xensim/domains')) as DebugProtocol.Response;
    const body = r.body as DomainsBody;
    assert.ok(body.timeNs >= 0 && body.instructions > 0 && body.pcpus >= 1, JSON.stringify(body).slice(0, 200));
    const d0 = body.domains.find((d) => d.id === 0);
    const d1 = body.domains.find((d) => d.id === 1);
    assert.ok(d0?.privileged, 'dom0 is there and privileged');
    assert.strictEqual(d1?.name, 'hello');
    assert.strictEqual(d1?.kind, 'pv');
    assert.strictEqual(d1?.configFile, path.join(examples, 'hello', 'hello.cfg'));
    assert.strictEqual(d1?.vcpus.length, 1);
    assert.strictEqual(d1?.vcpus[0].threadId, 1001);
    assert.match(d1?.vcpus[0].inXen ?? '', /console_io/);
    // the ports xl's domain builder allocates for the console and xenstore, bound to dom0
    assert.ok((d1?.eventChannels.length ?? 0) >= 1, 'hello has event channels');
    for (const p of d1?.eventChannels ?? []) assert.match(`${p.name}: ${p.value}`, /^port \d+: (unbound|interdomain) remote d0:/);
    assert.strictEqual(d0?.vcpus[0].threadId, 1);
    const after = (await h.dc.customRequest('xensim/domains')).body as DomainsBody;
    assert.deepStrictEqual(after, body, 'a stopped machine answers the same twice');
    await h.dc.continueRequest({ threadId: 1001 });
    await h.dc.waitForEvent('terminated', 30000);
    const text = formatTraceText(trace, fs.readFileSync(trace, 'utf8'));
    assert.match(text.split('\n')[0], /^# .*trace\.jsonl: \d+ records$/);
    assert.match(text, /d1 hello v0 hypercall console_io/);
    assert.match(text, /domain hello .*/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names an unknown custom request in its error', async () => {
    await h.dc.initializeRequest();
    await assert.rejects(h.dc.customRequest('xensim/nonsense'), /unrecognized request|nonsense/i);
    await assert.rejects(h.dc.customRequest('xensim/domains'), /no simulation is running/);
  });
});
