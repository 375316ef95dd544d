// Cheap password hashing for tests that are not about its cost: scrypt 2^10 and 4096 PBKDF2
// iterations instead of the production 2^17 and 600,000, set on the organization (so logons do
// not redo the hashes at the full cost) and used for the credentials a test creates itself.
import { credentialsFor, type NewCredentials } from '../../src/auth/credentials.ts';
import type { PasswordCost } from '../../src/auth/passwords.ts';
import type { Directory } from '../../src/directory/directory.ts';

export const FAST_PASSWORD_COST: PasswordCost = { scryptLn: 10, scramIterations: 4096 };

/** The same as cmdlet arguments, for tests that drive a `mailroom` process. */
export const FAST_PASSWORDS_CMDLET = ['Set-OrganizationConfig', '-PasswordHashCostFactor', '10', '-ScramIterationCount', '4096'];

export async function useFastPasswords(dir: Directory): Promise<void> {
  await dir.updateSettings('OrganizationConfig', { PasswordHashCostFactor: FAST_PASSWORD_COST.scryptLn, ScramIterationCount: FAST_PASSWORD_COST.scramIterations });
}

export function fastCredentials(password: string): Promise<NewCredentials> {
  return credentialsFor(password, FAST_PASSWORD_COST);
}
