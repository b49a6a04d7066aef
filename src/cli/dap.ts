import { CliIO, Command, UsageError } from './command';

const USAGE = 'usage: xensim dap [--port N]   (DAP on stdin/stdout, or on TCP 127.0.0.1:N)';

/** `xensim dap`: the debug adapter for editors other than VS Code. */
export const dapCommand: Command = async (args: string[], io: CliIO) => {
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--port' || a.startsWith('--port=')) {
      const v = a === '--port' ? args[++i] : a.slice('--port='.length);
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port needs a TCP port number (0 picks a free one)\n${USAGE}`);
      port = Number(v);
    } else throw new UsageError(`unknown argument '${a}'\n${USAGE}`);
  }
  // Loaded here so other subcommands do not pay for the debugger.
  const { defaultMachine, keepAlive, listenTcp, serveStreams } = require('../debug') as typeof import('../debug');
  keepAlive();
  const options = { machine: defaultMachine, cwd: io.cwd };
  if (port === undefined) {
    await serveStreams(process.stdin, process.stdout, options);
    return 0;
  }
  let server;
  try {
    server = await listenTcp(port, options);
  } catch (e) {
    io.stderr(`xensim dap: cannot listen on 127.0.0.1:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  const addr = server.address();
  // Editors that start the adapter read this line to learn the port.
  io.stdout(`xensim dap: listening on 127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}\n`);
  await new Promise<void>((resolve) => server.on('close', resolve));
  return 0;
};
