import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { Gate } from '../http/gate';
import { DomainError } from '../http/problem';

// OWASP Password Storage Cheat Sheet: scrypt N=2^15, r=8, p=3 (32 MiB), equivalent to N=2^17, p=1.
const COST = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;
/**
 * scrypt runs on libuv's thread pool (4 threads), which pg also needs: SCRAM authentication of a new
 * connection derives its key there. A burst of sign-ups must leave threads free for it, or new
 * connections time out and requests fail with 503.
 */
const CONCURRENT_DERIVATIONS = 2;
/**
 * Derivations that may wait for one of those: a few seconds' worth. Past it a sign-in or sign-up
 * is 429 at once (clients retry it), rather than waiting behind a flood of guesses for a minute.
 */
const WAITING_DERIVATIONS = 32;

/** Refused before any work: the client's retry is as safe as its first try. */
export class ChecksBusyError extends DomainError {
  constructor() {
    super(
      429,
      'rate_limited',
      'Too many requests',
      'Too many sign-ins and sign-ups are being checked at this instance at once; retry after Retry-After seconds.',
      { 'Retry-After': '1' },
    );
  }
}

const derivations = new Gate(
  CONCURRENT_DERIVATIONS,
  WAITING_DERIVATIONS,
  () => new ChecksBusyError(),
);

function derive(
  password: string,
  salt: Buffer,
  options: ScryptOptions,
  length: number,
): Promise<Buffer> {
  return derivations.run(
    () =>
      new Promise((resolve, reject) =>
        scrypt(
          password.normalize('NFKC'),
          salt,
          length,
          { ...options, maxmem: MAX_MEMORY },
          (error, key) => (error ? reject(error) : resolve(key)),
        ),
      ),
  );
}

/** Slow salted hashes stored as `scrypt$N$r$p$salt$hash`, so the cost can rise without breaking old hashes. */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | null = null;

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(password, salt, COST, KEY_LENGTH);
    return [
      'scrypt',
      COST.N,
      COST.r,
      COST.p,
      salt.toString('base64url'),
      key.toString('base64url'),
    ].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const options = { N: Number(n), r: Number(r), p: Number(p) };
    const actual = await derive(password, Buffer.from(salt, 'base64url'), options, expected.length);
    return timingSafeEqual(actual, expected);
  }

  /** Spends the same time as a real check, so an unknown email cannot be told from a wrong password. */
  async verifyAgainstNobody(password: string): Promise<false> {
    // A hash refused while checks were busy is made again next time, not kept refused for good.
    this.dummyHash ??= this.hash('not-a-real-password').catch((error: unknown) => {
      this.dummyHash = null;
      throw error;
    });
    await this.verify(password, await this.dummyHash);
    return false;
  }
}
