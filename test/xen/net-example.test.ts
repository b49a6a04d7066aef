// examples/network through the CLI: frames between two domUs over netfront/netback and a bridge.
import { checkExample } from './split-examples';

describe('examples/network', () => {
  for (const extra of [[], ['--no-dom0']]) {
    it(`ping and pong exchange three frame pairs over xenbr0 (${extra.length ? 'no dom0' : 'with dom0'})`, async () => {
      await checkExample('network', ['ping', 'pong'], extra);
    });
  }
});
