// examples/pingpong through the CLI: two domUs find each other through xenstore and exchange events.
import { checkExample } from './split-examples';

describe('examples/pingpong', () => {
  for (const extra of [[], ['--no-dom0']]) {
    it(`ping and pong exchange five events over a channel found in xenstore (${extra.length ? 'no dom0' : 'with dom0'})`, async () => {
      await checkExample('pingpong', ['ping', 'pong'], extra);
    });
  }
});
