/**
 * The standalone adapter (bundled to dist/debugAdapter.js): DAP on stdin/stdout, one session,
 * the process ends with it.
 */
import { defaultMachine } from './runtime';
import { keepAlive, serveStreams } from './server';

keepAlive();
void serveStreams(process.stdin, process.stdout, { machine: defaultMachine }).then(() => process.exit(0));
