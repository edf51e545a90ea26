import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Transactions } from './transactions';
import { Notifications } from './notifications';
import { SchemaStatus } from './schema-status';

/** Makes the already-initialised DataSource and the transaction helper injectable everywhere. */
@Global()
@Module({})
export class DatabaseModule {
  static forDataSource(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DataSource, useValue: dataSource },
        Transactions,
        SchemaStatus,
        Notifications,
      ],
      exports: [DataSource, Transactions, SchemaStatus, Notifications],
    };
  }
}
