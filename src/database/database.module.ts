import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Transactions } from './transactions';
import { SchemaStatus } from './schema-status';

/** Makes the already-initialised DataSource and the transaction helper injectable everywhere. */
@Global()
@Module({})
export class DatabaseModule {
  static forDataSource(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: DataSource, useValue: dataSource }, Transactions, SchemaStatus],
      exports: [DataSource, Transactions, SchemaStatus],
    };
  }
}
