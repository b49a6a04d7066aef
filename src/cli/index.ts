// Process entry of the bundled CLI (dist/cli.js); all logic is in main.ts so tests can call it in-process.
import { main } from './main';

main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
