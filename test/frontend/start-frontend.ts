// Starts a real IMAP4 or POP3 front-end service on 127.0.0.1 at a port offset that is free,
// trying further offsets when a program outside the tests holds one of the ports.
import { ListenerError } from '../../src/service/listeners.ts';
import { ProtocolFrontend, type FrontendProtocol } from '../../src/frontend/protocol-frontend.ts';
import type { ServiceDeps, ServiceHost } from '../../src/host/server.ts';
import { freePortOffset } from '../helpers.ts';

export async function startFrontendService(protocol: FrontendProtocol, deps: ServiceDeps, host: ServiceHost): Promise<{ fe: ProtocolFrontend; offset: number }> {
  for (let attempt = 0; ; attempt++) {
    const offset = await freePortOffset();
    const fe = new ProtocolFrontend(protocol, deps, offset);
    try {
      await fe.reconfigure(await host.readSnapshot());
      return { fe, offset };
    } catch (err) {
      await fe.stop();
      if (!(err instanceof ListenerError) || attempt > 20) throw err;
    }
  }
}
