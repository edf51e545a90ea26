import { Injectable } from '@nestjs/common';
import { uniqueViolation } from '../database/database-errors';
import { GuardedWrite, runGuardedWrite } from '../database/guarded-write';
import { Tx } from '../database/transactions';
import { User } from './user.entity';
import { EmailTakenError } from './users.errors';

type ProfileChange = Pick<User, 'email' | 'emailNormalized' | 'name' | 'updatedAt'>;

/** All SQL about users. Unique violations become domain errors here, so races answer 409. */
@Injectable()
export class UsersRepository {
  /** The new user's row, as a CTE of the idempotency store's statement (or on its own). */
  insertion(user: User): GuardedWrite {
    return {
      ctes: (params, guard) => `
        inserted_user AS (
          INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
          SELECT ${params.add(user.id, 'uuid')}, ${params.add(user.email, 'text')},
                 ${params.add(user.emailNormalized, 'text')}, ${params.add(user.name, 'text')},
                 ${params.add(user.passwordHash, 'text')}, ${params.add(user.createdAt, 'timestamptz')},
                 ${params.add(user.updatedAt, 'timestamptz')}
            FROM ${guard})`,
      rejection: asDomainError,
    };
  }

  insert(tx: Tx, user: User): Promise<void> {
    return runGuardedWrite(tx, this.insertion(user));
  }

  /** Inserts unless a user with this id exists; false when it did. */
  async insertUnlessIdExists(tx: Tx, user: User): Promise<boolean> {
    const rows: unknown[] = await this.translateConflicts(() =>
      tx.manager.query(
        `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING
         RETURNING id`,
        [
          user.id,
          user.email,
          user.emailNormalized,
          user.name,
          user.passwordHash,
          user.createdAt,
          user.updatedAt,
        ],
      ),
    );
    return rows.length === 1;
  }

  findById(tx: Tx, id: string): Promise<User | null> {
    return tx.manager.findOneBy(User, { id });
  }

  /** Reads the row and locks it until the transaction ends, for read-check-write updates. */
  lockById(tx: Tx, id: string): Promise<User | null> {
    return tx.manager
      .createQueryBuilder(User, 'user')
      .setLock('pessimistic_write')
      .where('user.id = :id', { id })
      .getOne();
  }

  findByNormalizedEmail(tx: Tx, emailNormalized: string): Promise<User | null> {
    return tx.manager.findOneBy(User, { emailNormalized });
  }

  async updateProfile(tx: Tx, id: string, change: ProfileChange): Promise<void> {
    await this.translateConflicts(() => tx.manager.update(User, { id }, change));
  }

  private async translateConflicts<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw asDomainError(error);
    }
  }
}

function asDomainError(error: unknown): unknown {
  return uniqueViolation(error) === 'users_email_normalized_key' ? new EmailTakenError() : error;
}
