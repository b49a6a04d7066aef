// Process entry of the bundled CLI (dist/cli.js); all logic is in main.ts so tests can call it in-process.
import { main } from './main';

// A reader that goes away (`xensim run … | head`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
