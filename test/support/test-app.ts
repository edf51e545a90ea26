import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/app-config';
import { createLogger } from '../../src/http/logger';
import { openDatabase } from '../../src/database/open-database';
import { ENTITIES } from '../../src/entities';
import { recordingAgent } from './conformance/recorder';
import { directUrlEnv } from './pgbouncer';
import { TEST_JWT_SECRET } from './service-process';
import { createDatabaseOn } from './test-database';

export interface TestApp {
  baseUrl: string;
  /** The Nest application, to read a provider such as the metrics. */
  nest: NestFastifyApplication;
  http: ReturnType<typeof request>;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * The real application listening on a free loopback port, on the run's PostgreSQL (or `databaseUrl`),
 * configured through the same environment parsing as production.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  databaseUrl = process.env.E2E_DATABASE_URL!,
): Promise<TestApp> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'order-service-app-')),
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT: '0', // tests sign up many users from one IP; rate limiting has its own test
    EXPORT_RATE_LIMIT: '0',
    DATABASE_CONNECT_TIMEOUT: '5s',
    ...env,
    DATABASE_URL: databaseUrl,
    ...directUrlEnv(databaseUrl),
  });
  const database = await openDatabase(config, ENTITIES, () => undefined);
  let app: NestFastifyApplication;
  try {
    app = await createApp(
      { config, dataSource: database.dataSource, jwtSecret: config.jwtSecret! },
      createLogger(config.logLevel),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await database.close();
    throw error;
  }
  const baseUrl = await app.getUrl();
  return {
    baseUrl: baseUrl.replace('[::1]', '127.0.0.1'),
    nest: app,
    http: recordingAgent(request(baseUrl)), // judged against openapi.json: see conformance/
    dataSource: database.dataSource,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/** A test app on a database of its own. */
export type TestAppOnOwnDatabase = TestApp & { databaseUrl: string };

/**
 * As `startTestApp`, on a fresh database of its own that `close` drops: for tests that hold locks
 * or count the rows of a whole table, which tests of other files must neither feel nor change.
 */
export async function startTestAppOnOwnDatabase(
  env: Record<string, string> = {},
): Promise<TestAppOnOwnDatabase> {
  const database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  try {
    const app = await startTestApp(env, database.url);
    const close = async () => {
      await app.close();
      await database.stop();
    };
    return { ...app, databaseUrl: database.url, close };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
