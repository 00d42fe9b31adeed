import { hash, verify } from '@node-rs/argon2';
import { z } from 'zod';

/**
 * Passwords are hashed with argon2id (the @node-rs/argon2 defaults: 19 MiB, 2 passes, 1 lane — the
 * OWASP minimum), 12 to 256 characters, nothing else imposed (NIST 800-63B: length over rules).
 */
export const passwordSchema = z
  .string({ error: 'choose a password' })
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters');

export const hashPassword = (password: string): Promise<string> => hash(password);

/** A hash no password matches, verified when there is no user, so an unknown email takes as long as a wrong password. */
let nobody: Promise<string> | undefined;

export async function checkPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    nobody ??= hash(`not a password of anyone: ${Math.random()}`);
    await verify(await nobody, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
