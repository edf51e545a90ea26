import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Answers readiness: the database responds and every migration this build knows is applied. */
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
}
