import { CliIO, Command, UsageError } from './command';

/**
 * Subcommands load lazily so `xensim asm` does not pay for the simulator or the debugger.
 * Each lives in its own module under src/cli/ and is owned by the layer it fronts.
 */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  // one line per subcommand; require(), not import(): under mocha (esbuild-register) import() goes to
  // node's ESM loader, which cannot load .ts
  disasm: { summary: 'disassemble a flat binary (objdump -M intel syntax)', load: async () => (require('./disasm') as typeof import('./disasm')).disasmCommand },
  exec: { summary: 'run a flat or ELF32 image on the bare harness (port 0xE9 → stdout)', load: async () => (require('./exec') as typeof import('./exec')).execCommand },
  run: { summary: 'boot PV and HVM domains from xl configs on a simulated Xen', load: async () => (require('./run') as typeof import('./run')).runCommand },
  dap: { summary: 'debug adapter (DAP) on stdin/stdout, or on TCP with --port N', load: async () => (require('./dap') as typeof import('./dap')).dapCommand },
  trace: { summary: 'summarise a JSON-lines trace (xenalyze-like): xensim trace summary FILE', load: async () => (require('./trace') as typeof import('./trace')).traceCommand },
  asm: { summary: 'assemble NASM source into a flat binary (as nasm -f bin)', load: async () => (require('./asm') as typeof import('./asm')).asmCommand },
};

function usage(): string {
  const lines = ['usage: xensim <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    io.stderr(`xensim: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    return await (await entry.load())(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`xensim ${name}: ${e.message}\n`);
      return 2;
    }
    // An internal error is a bug in xensim; report it plainly rather than as a bare stack.
    io.stderr(`xensim ${name}: internal error: ${(e as Error).stack ?? e}\n`);
    return 70;
  }
}

