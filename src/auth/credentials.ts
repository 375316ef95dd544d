// New credentials for a mailbox: the scrypt hash for password logons and the SCRAM-SHA-256
// keys, derived together whenever a password is set, at the organization's cost.
import { randomBytes } from 'node:crypto';
import type { SettingsDocument } from '../config/model.ts';
import type { Directory } from '../directory/directory.ts';
import { DEFAULT_PASSWORD_COST, hashPassword, scramCredentials, type PasswordCost } from './passwords.ts';

export interface NewCredentials {
  passwordHash: string;
  scram: string;
}

export async function credentialsFor(password: string, cost: PasswordCost = DEFAULT_PASSWORD_COST): Promise<NewCredentials> {
  const [passwordHash, scram] = await Promise.all([
    hashPassword(password, { ln: cost.scryptLn }),
    scramCredentials(password, cost.scramIterations),
  ]);
  return { passwordHash, scram };
}

/** The cost in an OrganizationConfig document (Set-OrganizationConfig -PasswordHashCostFactor, -ScramIterationCount). */
export function passwordCostOf(organizationConfig: SettingsDocument): PasswordCost {
  return {
    scryptLn: Number(organizationConfig.PasswordHashCostFactor ?? DEFAULT_PASSWORD_COST.scryptLn),
    scramIterations: Number(organizationConfig.ScramIterationCount ?? DEFAULT_PASSWORD_COST.scramIterations),
  };
}

/** The organization's current cost for new credentials. */
export async function organizationPasswordCost(directory: Directory): Promise<PasswordCost> {
  return passwordCostOf(await directory.settings('OrganizationConfig'));
}

/** A password people can read aloud: 4 groups of 4 from an alphabet without look-alikes. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]!);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** Exchange's default password policy: at least 8 characters from three of four classes. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'must be at least 8 characters long.';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < 3 && !/[^\x00-\x7f]/.test(password)) {
    return 'must mix at least three of: lower-case letters, upper-case letters, digits, symbols.';
  }
  return undefined;
}
