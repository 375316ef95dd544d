// Which server of the organization this process is. In order: `--server NAME` (mailroom start)
// or MAILROOM_SERVER; else the host name, matched against the servers' names and FQDNs (its
// first label too); else, when the organization has exactly one server, that one. Anything else
// is refused with the list of servers: acting on another server's services, settings or mailbox
// databases is worse than not starting.
import { hostname } from 'node:os';

export interface NamedServer {
  name: string;
  fqdn: string;
}

export type IdentitySource = 'flag' | 'environment' | 'host name' | 'only server';

export class ServerIdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerIdentityError';
  }
}

const key = (s: string) => s.trim().toLowerCase();

/** MAILROOM_SERVER, when set. */
export function serverFromEnvironment(): string | undefined {
  const value = process.env.MAILROOM_SERVER?.trim();
  return value ? value : undefined;
}

function listing(servers: readonly NamedServer[]): string {
  return servers.map((s) => `${s.name} (${s.fqdn})`).join(', ');
}

/** The server a name (or FQDN) given by the admin designates; refused when there is none. */
function byName<S extends NamedServer>(servers: readonly S[], name: string, how: string): S {
  const found = servers.find((s) => key(s.name) === key(name) || key(s.fqdn) === key(name));
  if (!found) throw new ServerIdentityError(`${how}: there is no server '${name}' in this organization (servers: ${listing(servers)}).`);
  return found;
}

/**
 * The host name matched against the servers: the whole name with a server's FQDN or name, then
 * its first label with a server's name or the first label of its FQDN. Undefined when nothing
 * or more than one server matches.
 */
export function serverForHostName<S extends NamedServer>(servers: readonly S[], host: string): S | undefined {
  const whole = key(host);
  if (whole === '' || whole === 'localhost') return undefined;
  const exact = servers.filter((s) => key(s.fqdn) === whole || key(s.name) === whole);
  if (exact.length === 1) return exact[0];
  const label = whole.split('.')[0]!;
  const byLabel = servers.filter((s) => key(s.name) === label || key(s.fqdn).split('.')[0] === label);
  return byLabel.length === 1 ? byLabel[0] : undefined;
}

/** Chooses this process's server among the organization's (see the top of the file). */
export function chooseServer<S extends NamedServer>(
  servers: readonly S[],
  given: { flag?: string; environment?: string; host?: string } = { environment: serverFromEnvironment(), host: hostname() },
): { server: S; source: IdentitySource } {
  if (servers.length === 0) throw new ServerIdentityError('No organization here yet: run `mailroom setup` first.');
  if (given.flag !== undefined) return { server: byName(servers, given.flag, '--server'), source: 'flag' };
  if (given.environment !== undefined) return { server: byName(servers, given.environment, 'MAILROOM_SERVER'), source: 'environment' };
  const byHost = given.host === undefined ? undefined : serverForHostName(servers, given.host);
  if (byHost) return { server: byHost, source: 'host name' };
  if (servers.length === 1) return { server: servers[0]!, source: 'only server' };
  throw new ServerIdentityError(
    `Which server is this? The organization has ${servers.length} servers (${listing(servers)}) and the host name ` +
    `'${given.host ?? ''}' is none of them. Say which with --server NAME (mailroom start) or MAILROOM_SERVER=NAME ` +
    `(cmdlets and start), or give cmdlets -Server NAME.`,
  );
}
