import { Injectable } from '@nestjs/common';
import { newId } from '../database/uuid';
import { EventsRepository } from '../events/events.repository';
import { Transactions, Tx } from '../database/transactions';
import { etagOf } from '../http/etag';
import { createdOutcome, HttpOutcome } from '../http/outcome';
import { assertPreconditions, Preconditions } from '../http/preconditions';
import { NotFoundError, UnauthorizedError, ValidationFailedError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import { Caller } from '../auth/caller';
import type { Executed } from '../idempotency/create-executor';
import { Deferred } from '../idempotency/deferred';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { CreateUserDto } from './dto/create-user.dto';
import { PutUserDto } from './dto/put-user.dto';
import { PublicUser, UserResponse } from './dto/user.response';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { UserCreatedConcurrentlyError } from './users.errors';

/** PUT's answer: 201 with the user created at the URI, or the caller's replaced profile. */
export type PutOutcome = { created: HttpOutcome } | { replaced: UserResponse };

const REPLACE_NEEDS_TOKEN = "Replacing a user needs that user's valid Bearer access token.";

/**
 * The form emails are unique in: trimmed, lower case, and in Unicode's composed form (NFC, as RFC
 * 6532 asks of internationalized addresses), so `ü` typed as one character or as `u` and a
 * combining diaeresis is one address, whichever a keyboard or a copy sent.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase().normalize('NFC');
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly hasher: PasswordHasher,
    private readonly urls: ResourceUrls,
    private readonly events: EventsRepository,
  ) {}

  /**
   * A new user. Hashing the password is slow by design, so it is deferred: the executor hashes
   * only once the key turns out to hold no answer, and a retry never pays for it.
   */
  signUp(input: CreateUserDto, idempotent: IdempotentRequest | null): Promise<Executed> {
    const user = this.newUserRow(newId(), input);
    const passwordHash = new Deferred(() => this.hasher.hash(input.password));
    return this.users.create({ ...user, passwordHash }, this.created(user), idempotent);
  }

  /** Inserts a prepared user inside `tx` (the synthetic create probe's). */
  async insert(tx: Tx, user: User): Promise<UserResponse> {
    await this.users.create(user, this.created(user), null, tx);
    return UserResponse.from(user);
  }

  /** 201 Created for `user`, as sign-up and PUT's create answer. */
  private created(user: PublicUser): HttpOutcome {
    return createdOutcome(this.urls.to(`/api/users/${user.id}`), UserResponse.from(user));
  }

  async getOwn(caller: Caller, id: string): Promise<UserResponse> {
    const user =
      caller.userId === id ? await this.users.findById(this.transactions.autocommit, id) : null;
    if (!user) throw new NotFoundError('user');
    return UserResponse.from(user);
  }

  /** PUT: creates the user at `id` (public), or replaces the caller's own profile (If-Match honoured). */
  async put(
    id: string,
    input: PutUserDto,
    caller: Caller | null,
    preconditions: Preconditions,
  ): Promise<PutOutcome> {
    // Hash before the transaction: scrypt is slow by design and must not hold a row lock or a connection.
    const candidate =
      input.password === undefined
        ? null
        : await this.newUser(id, { ...input, password: input.password });
    const outcome = await this.transactions.run(async (tx): Promise<PutOutcome | User> => {
      const existing = await this.users.lockById(tx, id);
      if (existing && !caller && candidate) return existing; // a create sent again, checked below
      if (existing)
        return { replaced: await this.replace(tx, existing, input, caller, preconditions) };
      assertPreconditions(preconditions, null);
      if (!candidate)
        throw new ValidationFailedError([
          { field: 'password', message: 'password is required to create a user' },
        ]);
      if (!(await this.users.insertUnlessIdExists(tx, candidate)))
        throw new UserCreatedConcurrentlyError();
      const created = this.created(candidate);
      await this.events.append(tx, {
        type: 'user.created',
        owner: candidate.id,
        subject: candidate.id,
        data: created.body,
      });
      return { created };
    });
    return 'id' in outcome ? this.createdAlready(outcome, input, preconditions) : outcome;
  }

  /**
   * A PUT that would create a user who exists: a retry of the create whose answer was lost gets
   * 200 with the user as they are, when it is the same request (email, name and password, checked
   * outside the transaction since the hash is slow). Anyone else needs the user's token (401).
   */
  private async createdAlready(
    existing: User,
    input: PutUserDto,
    preconditions: Preconditions,
  ): Promise<PutOutcome> {
    // The hash is checked whatever the rest says, so the time taken tells nothing about it.
    const passwordMatches = await this.hasher.verify(input.password ?? '', existing.passwordHash);
    const same =
      normalizeEmail(input.email) === existing.emailNormalized &&
      input.name === existing.name &&
      passwordMatches;
    if (!same) throw new UnauthorizedError(REPLACE_NEEDS_TOKEN);
    const user = UserResponse.from(existing);
    assertPreconditions(preconditions, etagOf(user)); // If-None-Match: * still refuses it (412)
    return { replaced: user };
  }

  /** The user these credentials belong to, or null; the same time is spent either way. */
  async verifyCredentials(email: string, password: string): Promise<UserResponse | null> {
    const user = await this.users.findByNormalizedEmail(
      this.transactions.autocommit,
      normalizeEmail(email),
    );
    if (!user) return this.hasher.verifyAgainstNobody(password).then(() => null);
    return (await this.hasher.verify(password, user.passwordHash)) ? UserResponse.from(user) : null;
  }

  private async replace(
    tx: Tx,
    existing: User,
    input: PutUserDto,
    caller: Caller | null,
    preconditions: Preconditions,
  ) {
    if (!caller) throw new UnauthorizedError(REPLACE_NEEDS_TOKEN);
    if (caller.userId !== existing.id) throw new NotFoundError('user');
    // The same profile again changes nothing (no new updatedAt or ETag, no event), and is answered
    // as done whatever If-Match says: it is a replace sent again, or one another client made.
    const unchanged = input.email === existing.email && input.name === existing.name;
    const current = UserResponse.from(existing);
    assertPreconditions(preconditions, etagOf(current), unchanged);
    if (input.password !== undefined) {
      throw new ValidationFailedError([
        { field: 'password', message: 'password cannot be changed with PUT' },
      ]);
    }
    if (unchanged) return current;
    const change = {
      email: input.email,
      emailNormalized: normalizeEmail(input.email),
      name: input.name,
      updatedAt: new Date(),
    };
    await this.users.updateProfile(tx, existing.id, change);
    const replaced = UserResponse.from({ ...existing, ...change });
    await this.events.append(tx, {
      type: 'user.updated',
      owner: existing.id,
      subject: existing.id,
      data: JSON.stringify(replaced),
    });
    return replaced;
  }

  private async newUser(id: string, input: CreateUserDto): Promise<User> {
    return { ...this.newUserRow(id, input), passwordHash: await this.hasher.hash(input.password) };
  }

  private newUserRow(id: string, input: CreateUserDto): Omit<User, 'passwordHash'> {
    const now = new Date();
    return {
      id,
      email: input.email,
      emailNormalized: normalizeEmail(input.email),
      name: input.name,
      createdAt: now,
      updatedAt: now,
    };
  }
}
