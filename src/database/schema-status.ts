import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Answers readiness: the database responds, takes writes, and every migration this build knows is
 * applied.
 */
@Injectable()
export class SchemaStatus {
  constructor(private readonly dataSource: DataSource) {}

  async pendingMigrations(): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM migrations');
    const applied = new Set(rows.map((row) => row.name));
    return this.dataSource.migrations
      .map((migration) => migration.name!)
      .filter((name) => !applied.has(name));
  }

  /** False on a standby, or where new sessions are read-only: every create would fail there. */
  async acceptsWrites(): Promise<boolean> {
    const [row]: { read_only: string }[] = await this.dataSource.query(
      "SELECT current_setting('transaction_read_only') AS read_only",
    );
    return row.read_only === 'off';
  }
}
