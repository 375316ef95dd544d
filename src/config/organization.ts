// OrganizationConfig: Mailroom's own organization-wide settings, shown and changed with
// Get-OrganizationConfig and Set-OrganizationConfig. Exchange keeps passwords in Active
// Directory, whose hashing is not configurable; these parameters exist only in Mailroom.
import type { SettingDef } from './model.ts';

export const ORGANIZATION_CONFIG: readonly SettingDef[] = [
  { name: 'PasswordHashCostFactor', kind: 'int', min: 10, max: 18, default: 17,
    help: 'Mailroom: scrypt cost of new password hashes as a power of two (N = 2^value, r = 8, p = 1). 17 (128 MiB per hash) is the OWASP minimum; lower values are for tests. Stored hashes are redone at each user\'s next password logon.' },
  { name: 'ScramIterationCount', kind: 'int', min: 4096, max: 10_000_000, default: 600_000,
    help: 'Mailroom: PBKDF2-HMAC-SHA256 iterations of new SCRAM-SHA-256 keys. 600000 is the OWASP recommendation; 4096 (RFC 7677\'s minimum) is for tests. Stored keys are redone at each user\'s next password logon.' },
];
