import { Injectable } from '@nestjs/common';
import { GuardedWrite } from '../database/guarded-write';
import { newId } from '../database/uuid';
import { Transactions, Tx } from '../database/transactions';
import { etagOf } from '../http/etag';
import { assertPreconditions, Preconditions } from '../http/preconditions';
import { NotFoundError, UnauthorizedError, ValidationFailedError } from '../http/problem';
import { Caller } from '../auth/caller';
import { CreateUserDto } from './dto/create-user.dto';
import { PutUserDto } from './dto/put-user.dto';
import { UserResponse } from './dto/user.response';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { UserCreatedConcurrentlyError } from './users.errors';

export interface PutOutcome {
  created: boolean;
  user: UserResponse;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * The new user, its password hashed (slow by design, so before any database work), and the
   * write that inserts it: the idempotency store writes it with the key record.
   */
  async planSignUp(input: CreateUserDto): Promise<{ user: UserResponse; write: GuardedWrite }> {
    const user = await this.newUser(newId(), input);
    return { user: UserResponse.from(user), write: this.users.insertion(user) };
  }

  /** Inserts a prepared user inside `tx` (the synthetic create probe's). */
  async insert(tx: Tx, user: User): Promise<UserResponse> {
    await this.users.insert(tx, user);
    return UserResponse.from(user);
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
    // Hash before the transaction: 300 ms of scrypt must not hold a row lock or a pooled connection.
    const candidate =
      input.password === undefined
        ? null
        : await this.newUser(id, { ...input, password: input.password });
    return this.transactions.run(async (tx) => {
      const existing = await this.users.lockById(tx, id);
      if (existing)
        return {
          created: false,
          user: await this.replace(tx, existing, input, caller, preconditions),
        };
      assertPreconditions(preconditions, null);
      if (!candidate)
        throw new ValidationFailedError([
          { field: 'password', message: 'password is required to create a user' },
        ]);
      if (!(await this.users.insertUnlessIdExists(tx, candidate)))
        throw new UserCreatedConcurrentlyError();
      return { created: true, user: UserResponse.from(candidate) };
    });
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
    if (!caller)
      throw new UnauthorizedError("Replacing a user needs that user's Bearer access token.");
    if (caller.userId !== existing.id) throw new NotFoundError('user');
    assertPreconditions(preconditions, etagOf(UserResponse.from(existing)));
    if (input.password !== undefined) {
      throw new ValidationFailedError([
        { field: 'password', message: 'password cannot be changed with PUT' },
      ]);
    }
    const change = {
      email: input.email,
      emailNormalized: normalizeEmail(input.email),
      name: input.name,
      updatedAt: new Date(),
    };
    await this.users.updateProfile(tx, existing.id, change);
    return UserResponse.from({ ...existing, ...change });
  }

  private async newUser(id: string, input: CreateUserDto): Promise<User> {
    const now = new Date();
    return {
      id,
      email: input.email,
      emailNormalized: normalizeEmail(input.email),
      name: input.name,
      passwordHash: await this.hasher.hash(input.password),
      createdAt: now,
      updatedAt: now,
    };
  }
}
