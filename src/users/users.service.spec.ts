import type { Caller } from '../auth/caller';
import { loadConfig } from '../config/app-config';
import type { Transactions, Tx } from '../database/transactions';
import type { EventsRepository } from '../events/events.repository';
import type { NewEvent } from '../events/outbox';
import { etagOf } from '../http/etag';
import { HttpOutcome } from '../http/outcome';
import {
  NotFoundError,
  PreconditionFailedError,
  UnauthorizedError,
  ValidationFailedError,
} from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import type { Executed } from '../idempotency/create-executor';
import { Deferred } from '../idempotency/deferred';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { UserResponse } from './dto/user.response';
import type { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersService } from './users.service';
import type { NewUser, UsersRepository } from './users.repository';
import { UserCreatedConcurrentlyError } from './users.errors';

const ALICE_ID = '01a20107-2a26-7789-8895-112b1f3fe80b';
const BOB_ID = '01a20107-2a26-7789-8895-0000000000b0';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const AUTOCOMMIT = { name: 'autocommit' } as unknown as Tx;
const TX = { name: 'transaction' } as unknown as Tx;
const PASSWORD = 'correct horse battery staple';
const PROFILE = { email: '  Alice@Example.COM ', name: 'Alice' };
const ALICE: User = {
  id: ALICE_ID,
  email: 'alice@example.com',
  emailNormalized: 'alice@example.com',
  name: 'Alice',
  passwordHash: `hashed:${PASSWORD}`,
  createdAt: new Date('2026-11-01T00:00:00Z'),
  updatedAt: new Date('2026-11-01T00:00:00Z'),
};

/** A hasher that counts its work: `hashed:<password>`, no scrypt. */
class FakeHasher {
  readonly spent: string[] = [];

  hash(password: string) {
    this.spent.push('hash');
    return Promise.resolve(`hashed:${password}`);
  }

  verify(password: string, stored: string) {
    this.spent.push('verify');
    return Promise.resolve(stored === `hashed:${password}`);
  }

  verifyAgainstNobody(_password: string) {
    this.spent.push('verifyAgainstNobody');
    return Promise.resolve(false as const);
  }
}

/** UsersRepository in memory: one stored user (or none), and every call it was given. */
class FakeUsers {
  readonly calls: { method: string; tx: Tx | undefined; args: unknown[] }[] = [];
  user: User | null = null;
  inserts = true;

  create(user: NewUser, outcome: HttpOutcome, idempotent: IdempotentRequest | null, tx?: Tx) {
    this.calls.push({ method: 'create', tx, args: [user, outcome, idempotent] });
    return Promise.resolve<Executed>({ outcome, replayed: false });
  }

  findById = (tx: Tx, id: string) => this.answer('findById', tx, [id], this.user);
  lockById = (tx: Tx, id: string) => this.answer('lockById', tx, [id], this.user);
  findByNormalizedEmail = (tx: Tx, email: string) =>
    this.answer('findByNormalizedEmail', tx, [email], this.user);
  insertUnlessIdExists = (tx: Tx, user: User) =>
    this.answer('insertUnlessIdExists', tx, [user], this.inserts);
  updateProfile = (tx: Tx, id: string, change: object) =>
    this.answer('updateProfile', tx, [id, change], undefined);

  called(method: string) {
    return this.calls.filter((call) => call.method === method);
  }

  private answer<T>(method: string, tx: Tx, args: unknown[], value: T): Promise<T> {
    this.calls.push({ method, tx, args });
    return Promise.resolve(value);
  }
}

function setup() {
  const users = new FakeUsers();
  const hasher = new FakeHasher();
  const appended: [Tx, NewEvent][] = [];
  const events = { append: (tx: Tx, event: NewEvent) => appended.push([tx, event]) };
  const transactions = {
    autocommit: AUTOCOMMIT,
    run: <T>(work: (tx: Tx) => Promise<T>) => work(TX),
  } as unknown as Transactions;
  const service = new UsersService(
    users as unknown as UsersRepository,
    transactions,
    hasher as unknown as PasswordHasher,
    new ResourceUrls(loadConfig({})),
    events as unknown as EventsRepository,
  );
  return { users, hasher, service, appended };
}

const errorOf = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);

describe('UsersService.signUp', () => {
  async function signedUp(idempotent: IdempotentRequest | null = null) {
    const { users, hasher, service } = setup();
    await service.signUp({ ...PROFILE, password: PASSWORD }, idempotent);
    const [{ args, tx }] = users.called('create');
    return {
      hasher,
      tx,
      user: args[0] as NewUser,
      outcome: args[1] as HttpOutcome,
      passed: args[2],
    };
  }

  it('hands the repository a row whose password hash is deferred, not yet computed', async () => {
    const { user, hasher } = await signedUp();
    expect(user.passwordHash).toBeInstanceOf(Deferred);
    expect(hasher.spent).toEqual([]);
  });

  it('hashes the password when the Deferred is computed', async () => {
    const { user, hasher } = await signedUp();
    expect(await (user.passwordHash as Deferred).compute()).toBe(`hashed:${PASSWORD}`);
    expect(hasher.spent).toEqual(['hash']);
  });

  it('keeps the email as typed beside its normalized form, under a new UUIDv7 id', async () => {
    const { user } = await signedUp();
    expect(user).toMatchObject({
      email: PROFILE.email,
      emailNormalized: 'alice@example.com',
      name: 'Alice',
    });
    expect(user.id).toMatch(UUID_V7);
  });

  it('answers 201 at the user with neither the password nor its hash', async () => {
    const { user, outcome } = await signedUp();
    expect(outcome.status).toBe(201);
    expect(outcome.headers.Location).toBe(`/api/users/${user.id}`);
    expect(JSON.parse(outcome.body)).toEqual({
      id: user.id,
      email: PROFILE.email,
      name: 'Alice',
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    });
    expect(outcome.body).not.toMatch(/password|hashed/i);
  });

  it('passes the idempotent request through, outside any transaction of its own', async () => {
    const idempotent = { scope: { key: 'k' } } as unknown as IdempotentRequest;
    const { passed, tx } = await signedUp(idempotent);
    expect(passed).toBe(idempotent);
    expect(tx).toBeUndefined();
  });
});

describe('UsersService.getOwn', () => {
  it("answers 404 for another user's id without reading it", async () => {
    const { users, service } = setup();
    users.user = { ...ALICE, id: BOB_ID };
    const error = await errorOf(service.getOwn({ userId: ALICE_ID }, BOB_ID));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404 });
    expect(users.calls).toEqual([]);
  });

  it('answers the caller their own profile', async () => {
    const { users, service } = setup();
    users.user = ALICE;
    expect(await service.getOwn({ userId: ALICE_ID }, ALICE_ID)).toEqual(UserResponse.from(ALICE));
  });
});

describe('UsersService.put', () => {
  const put = (service: UsersService, input: object, caller: Caller | null, ifMatch?: string) =>
    errorOf(service.put(ALICE_ID, { ...PROFILE, ...input }, caller, { ifMatch }));

  it('creates the user at a free id with 201, hashing the password, and writes user.created in its transaction', async () => {
    const { users, hasher, service, appended } = setup();
    const answer = (await put(service, { password: PASSWORD }, null)) as { created: HttpOutcome };
    expect(answer.created.status).toBe(201);
    expect(appended).toEqual([
      [TX, { type: 'user.created', owner: ALICE_ID, subject: ALICE_ID, data: answer.created.body }],
    ]);
    expect(answer.created.headers.Location).toBe(`/api/users/${ALICE_ID}`);
    const [insert] = users.called('insertUnlessIdExists');
    expect(insert.tx).toBe(TX);
    expect(insert.args[0]).toMatchObject({
      id: ALICE_ID,
      emailNormalized: 'alice@example.com',
      passwordHash: `hashed:${PASSWORD}`,
    });
    expect(hasher.spent).toEqual(['hash']);
  });

  it('answers 400 creating a user without a password, and inserts nothing', async () => {
    const { users, service } = setup();
    const error = await put(service, {}, null);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(error).toMatchObject({ status: 400, errors: [{ field: 'password' }] });
    expect(users.called('insertUnlessIdExists')).toEqual([]);
  });

  it('answers 409 when another request created the user first', async () => {
    const { users, service } = setup();
    users.inserts = false;
    expect(await put(service, { password: PASSWORD }, null)).toBeInstanceOf(
      UserCreatedConcurrentlyError,
    );
  });

  it.each([
    ['401 without a caller', null, undefined, UnauthorizedError, 401],
    ['404 for another user', { userId: BOB_ID }, undefined, NotFoundError, 404],
    [
      '412 when If-Match does not match',
      { userId: ALICE_ID },
      '"stale"',
      PreconditionFailedError,
      412,
    ],
  ])('replacing: answers %s, and changes nothing', async (_case, caller, ifMatch, type, status) => {
    const { users, service } = setup();
    users.user = ALICE;
    const error = await put(service, {}, caller, ifMatch);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status });
    expect(users.called('updateProfile')).toEqual([]);
  });

  it('answers the same profile again as done under a stale If-Match, changing nothing', async () => {
    const { users, service } = setup();
    users.user = ALICE;
    const same = { email: ALICE.email, name: ALICE.name };
    const answer = await put(service, same, { userId: ALICE_ID }, '"stale"');
    expect(answer).toEqual({ replaced: UserResponse.from(ALICE) });
    expect(users.called('updateProfile')).toEqual([]);
    const changed = await put(service, { ...same, name: 'Alice B.' }, { userId: ALICE_ID }, '"x"');
    expect(changed).toBeInstanceOf(PreconditionFailedError);
    // A password is refused as ever, the If-Match being no reason to refuse first.
    const withPassword = await put(
      service,
      { ...same, password: PASSWORD },
      { userId: ALICE_ID },
      '"x"',
    );
    expect(withPassword).toMatchObject({ status: 400, errors: [{ field: 'password' }] });
  });

  it('answers 400 when a password is sent to replace, and changes nothing', async () => {
    const { users, service } = setup();
    users.user = ALICE;
    const error = await put(service, { password: PASSWORD }, { userId: ALICE_ID });
    expect(error).toMatchObject({ status: 400, errors: [{ field: 'password' }] });
    expect(users.called('updateProfile')).toEqual([]);
  });

  it("replaces the caller's own profile when If-Match holds, in the transaction", async () => {
    const { users, service } = setup();
    users.user = ALICE;
    const ifMatch = etagOf(UserResponse.from(ALICE));
    const answer = await put(service, { name: 'Alice B.' }, { userId: ALICE_ID }, ifMatch);
    expect(answer).toMatchObject({
      replaced: { id: ALICE_ID, name: 'Alice B.', email: PROFILE.email },
    });
    const [update] = users.called('updateProfile');
    expect(update).toMatchObject({
      tx: TX,
      args: [ALICE_ID, { emailNormalized: 'alice@example.com' }],
    });
  });
});

describe('UsersService.verifyCredentials', () => {
  it('spends a hash on an unknown email and answers null', async () => {
    const { users, hasher, service } = setup();
    expect(await service.verifyCredentials(' Nobody@Example.com', PASSWORD)).toBeNull();
    expect(users.calls).toMatchObject([
      { method: 'findByNormalizedEmail', args: ['nobody@example.com'] },
    ]);
    expect(hasher.spent).toEqual(['verifyAgainstNobody']);
  });

  it('answers the user for the right password and null for a wrong one', async () => {
    const { users, service } = setup();
    users.user = ALICE;
    expect(await service.verifyCredentials('alice@example.com', PASSWORD)).toEqual(
      UserResponse.from(ALICE),
    );
    expect(await service.verifyCredentials('alice@example.com', 'wrong password')).toBeNull();
  });
});
