// `mailroom start` as the supervisor of a server's two processes. Kept apart from the server
// code (host/server.ts): the supervisor loads only the directory, the logger and the supervisor,
// so it starts fast and stays small while its two processes run the services.
import { Directory, type Server } from '../directory/directory.ts';
import { createLogger } from '../lib/log.ts';
import { Supervisor } from './supervisor.ts';

/**
 * `mailroom start`: the front ends and the back ends of this server as two supervised processes
 * (host/supervisor.ts). Resolves when a signal has stopped both.
 */
export async function runSupervisor(options: { server?: string; script: string }): Promise<number> {
  const log = createLogger({ role: 'supervisor' });
  const directory = await Directory.open();
  let server: Server;
  try {
    if (!(await directory.organization())) {
      console.error('No organization here yet. Run `mailroom setup --organization NAME --domain DOMAIN --admin-password PW`, or `npm start` for the quickstart.');
      return 1;
    }
    server = options.server === undefined ? await directory.localServer() : await directory.identifyAs(options.server);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  } finally {
    await directory.close();
  }
  const supervisor = new Supervisor({ script: options.script, server: server.name, log });
  return new Promise<number>((resolve) => {
    supervisor.start((code) => resolve(code));
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      await supervisor.stop();
      log.info('stopped');
      resolve(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
