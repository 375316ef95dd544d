// Where Set-ServerComponentState keeps its entries: the directory, so they survive a restart and
// every process (the running server, the admin's cmdlet) sees the same ones. Exchange keeps a
// copy in Active Directory and one in the server's registry; Mailroom has one directory.
import type { ComponentRequester, ComponentState, ComponentStateEntry, ServerComponent } from '../config/server-components.ts';
import type { Directory } from './directory.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS server_component_states (
  server_key TEXT NOT NULL,
  component TEXT NOT NULL,
  requester TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (server_key, component, requester)
);
`;

const key = (s: string) => s.trim().toLowerCase();

export async function componentStateEntries(directory: Directory, serverName: string): Promise<ComponentStateEntry[]> {
  const db = await directory.tables(SCHEMA);
  const rows = await db.all<{ component: string; requester: string; state: string; updated_at: string }>(
    `SELECT component, requester, state, updated_at FROM server_component_states WHERE server_key = ? ORDER BY component, requester`,
    [key(serverName)],
  );
  return rows.map((r) => ({
    component: r.component as ServerComponent, requester: r.requester as ComponentRequester, state: r.state as ComponentState, updatedAt: r.updated_at,
  }));
}

export async function setComponentState(
  directory: Directory,
  serverName: string,
  change: { component: ServerComponent; requester: ComponentRequester; state: ComponentState },
): Promise<void> {
  await directory.configure(SCHEMA, (tx) =>
    tx.run(
      `INSERT INTO server_component_states (server_key, component, requester, state, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (server_key, component, requester) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      [key(serverName), change.component, change.requester, change.state, new Date().toISOString()],
    ),
  );
}
