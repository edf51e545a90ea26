import { Injectable } from '@nestjs/common';
import { asUniqueConflict, type UniqueConflicts } from '../database/database-errors';
import { run, statement, Statement } from '../database/statement';
import { Tx } from '../database/transactions';
import { HttpOutcome } from '../http/outcome';
import { CreateExecutor, Executed } from '../idempotency/create-executor';
import { Deferred } from '../idempotency/deferred';
import { createStatement, write } from '../idempotency/create-statement';
import { IdempotentRequest } from '../idempotency/idempotent-request';
import { eventValues, eventWrite } from '../events/outbox';
import { User } from './user.entity';
import { EmailTakenError } from './users.errors';

/** A new user's row; sign-up's hash is computed by the executor (see `Deferred`). */
export type NewUser = Omit<User, 'passwordHash'> & { passwordHash: string | Deferred<string> };

type ProfileChange = Pick<User, 'email' | 'emailNormalized' | 'name' | 'updatedAt'>;

interface UserRow {
  id: string;
  email: string;
  email_normalized: string;
  name: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

const USER_COLUMNS = 'id, email, email_normalized, name, password_hash, created_at, updated_at';
const USER_VALUES = `:id::uuid, :email::text, :emailNormalized::text, :name::text,
       :passwordHash::text, :createdAt::timestamptz, :updatedAt::timestamptz`;

/** Sign-up: the new user's row, written by the create executor's statement. */
const CREATE = createStatement('UsersRepository.create', [
  write(
    'inserted_user',
    `
     INSERT INTO users (${USER_COLUMNS})
     SELECT ${USER_VALUES}
       FROM claimed
     RETURNING id`,
  ),
  eventWrite('user.created', 'inserted_user'),
]);

/** PUT's create: nothing when a user with this id exists. */
const INSERT_UNLESS_ID_EXISTS = statement(
  'UsersRepository.insertUnlessIdExists',
  `
   INSERT INTO users (${USER_COLUMNS})
   VALUES (${USER_VALUES})
   ON CONFLICT (id) DO NOTHING
   RETURNING id`,
);

const FIND_BY_ID = statement(
  'UsersRepository.findById',
  `
   SELECT ${USER_COLUMNS} FROM users WHERE id = :id`,
);

/** For read-check-write updates: the row stays locked until the transaction ends. */
const LOCK_BY_ID = statement(
  'UsersRepository.lockById',
  `
   SELECT ${USER_COLUMNS} FROM users WHERE id = :id FOR UPDATE`,
);

const FIND_BY_NORMALIZED_EMAIL = statement(
  'UsersRepository.findByNormalizedEmail',
  `
   SELECT ${USER_COLUMNS} FROM users WHERE email_normalized = :emailNormalized`,
);

const UPDATE_PROFILE = statement(
  'UsersRepository.updateProfile',
  `
   UPDATE users
      SET email = :email, email_normalized = :emailNormalized, name = :name, updated_at = :updatedAt
    WHERE id = :id`,
);

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailNormalized: row.email_normalized,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Unique violations become domain errors here, so races answer 409. */
const CONFLICTS: UniqueConflicts = new Map([['users_email_normalized_key', EmailTakenError]]);

/** All SQL about users. */
@Injectable()
export class UsersRepository {
  static readonly statements: Statement[] = [
    CREATE.keyed,
    CREATE.unkeyed,
    INSERT_UNLESS_ID_EXISTS,
    FIND_BY_ID,
    LOCK_BY_ID,
    FIND_BY_NORMALIZED_EMAIL,
    UPDATE_PROFILE,
  ];

  constructor(private readonly creates: CreateExecutor) {}

  /** The new user, with `outcome` stored under the key: all or nothing. */
  create(
    user: NewUser,
    outcome: HttpOutcome,
    idempotent: IdempotentRequest | null,
    tx?: Tx,
  ): Promise<Executed> {
    return this.creates.execute(
      idempotent,
      {
        statement: CREATE,
        values: [user, eventValues({ owner: user.id, subject: user.id, data: outcome.body })],
        outcome,
        conflicts: CONFLICTS,
      },
      tx,
    );
  }

  /** Inserts unless a user with this id exists; false when it did. */
  async insertUnlessIdExists(tx: Tx, user: User): Promise<boolean> {
    const rows = await run(tx, INSERT_UNLESS_ID_EXISTS, user).catch(rethrowAsConflict);
    return rows.length === 1;
  }

  findById(tx: Tx, id: string): Promise<User | null> {
    return this.one(tx, FIND_BY_ID, { id });
  }

  lockById(tx: Tx, id: string): Promise<User | null> {
    return this.one(tx, LOCK_BY_ID, { id });
  }

  findByNormalizedEmail(tx: Tx, emailNormalized: string): Promise<User | null> {
    return this.one(tx, FIND_BY_NORMALIZED_EMAIL, { emailNormalized });
  }

  async updateProfile(tx: Tx, id: string, change: ProfileChange): Promise<void> {
    await run(tx, UPDATE_PROFILE, { id, ...change }).catch(rethrowAsConflict);
  }

  private async one(tx: Tx, query: Statement, values: Record<string, unknown>) {
    const rows = await run<UserRow>(tx, query, values);
    return rows.length ? toUser(rows[0]) : null;
  }
}

function rethrowAsConflict(error: unknown): never {
  throw asUniqueConflict(error, CONFLICTS);
}
