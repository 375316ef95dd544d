// The directory and configuration database. The SQL is written to run unchanged on SQLite and
// PostgreSQL: text keys, integers for booleans, JSON documents as text.

export const SCHEMA_VERSION = 1;

/**
 * Columns added to tables of directories created before them: [table, column, definition]. Added
 * when missing each time a directory is opened (CREATE TABLE IF NOT EXISTS leaves old tables as
 * they are).
 */
export const ADDED_COLUMNS: readonly (readonly [string, string, string])[] = [
  // Moves when a password is set, not when its hash is redone: sessions logged on with the
  // previous password end (src/backend/session-revocation.ts).
  ['mailboxes', 'credential_serial', 'INTEGER NOT NULL DEFAULT 0'],
  // Moves at each Restart-Service: a running server stops the service and starts it again.
  ['services', 'restart_serial', 'INTEGER NOT NULL DEFAULT 0'],
  // Mount-Database / Dismount-Database (src/directory/mailbox-locator.ts).
  ['mailbox_databases', 'mounted', 'INTEGER NOT NULL DEFAULT 1'],
];

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS organization (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  short_domain TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accepted_domains (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  domain_type TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sites (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  fqdn TEXT NOT NULL,
  site TEXT NOT NULL,
  heartbeat_at BIGINT,
  status TEXT
);
CREATE TABLE IF NOT EXISTS mailbox_databases (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  server TEXT NOT NULL,
  engine TEXT NOT NULL,
  settings TEXT NOT NULL,
  mounted INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS mailboxes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  alias TEXT NOT NULL,
  alias_key TEXT NOT NULL UNIQUE,
  upn TEXT NOT NULL,
  upn_key TEXT NOT NULL UNIQUE,
  primary_smtp TEXT NOT NULL,
  type TEXT NOT NULL,
  database_name TEXT NOT NULL,
  password_hash TEXT,
  scram TEXT,
  builtin TEXT,
  account_disabled INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL,
  created_at TEXT NOT NULL,
  credential_serial INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS addresses (
  address_key TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS mailbox_permissions (
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  right_name TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, user_id, right_name)
);
CREATE TABLE IF NOT EXISTS role_groups (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS role_group_members (
  group_key TEXT NOT NULL REFERENCES role_groups(name_key) ON DELETE CASCADE,
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  PRIMARY KEY (group_key, mailbox_id)
);
CREATE TABLE IF NOT EXISTS settings (
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (scope, name)
);
CREATE TABLE IF NOT EXISTS receive_connectors (
  identity_key TEXT PRIMARY KEY,
  server TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS services (
  server_key TEXT NOT NULL,
  name TEXT NOT NULL,
  startup_type TEXT NOT NULL,
  state TEXT,
  PRIMARY KEY (server_key, name)
);
CREATE TABLE IF NOT EXISTS certificates (
  thumbprint TEXT PRIMARY KEY,
  server_key TEXT NOT NULL,
  subject TEXT NOT NULL,
  issuer TEXT NOT NULL,
  names TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  services TEXT NOT NULL,
  self_signed INTEGER NOT NULL,
  cert_pem TEXT NOT NULL,
  key_pem TEXT NOT NULL
);
`;
