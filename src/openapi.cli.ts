import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { createApp } from './app';
import { loadConfig } from './config/app-config';
import { createDataSource } from './database/data-source';
import { ENTITIES } from './entities';
import { createLogger } from './http/logger';
import { buildOpenApiDocument } from './http/openapi';

/**
 * `npm run openapi` writes openapi.json from the code; `npm run openapi:check` fails when the
 * committed file and the code disagree. Needs no database: the data source is never connected.
 */
async function main(args: string[]) {
  const check = args.includes('--check');
  const file = args.find((arg) => !arg.startsWith('--')) ?? 'openapi.json';
  const config = loadConfig({
    JWT_SECRET: 'openapi-generation-only-secret-xxxxxxxx',
    DATABASE_URL: 'postgres://unused/unused',
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '0', // the job runner would connect to start
  });
  const dataSource = createDataSource({
    url: config.databaseUrl!,
    entities: ENTITIES,
    poolSize: 2,
  });
  const app = await createApp(
    { config, dataSource, jwtSecret: config.jwtSecret! },
    createLogger('silent'),
  );
  const generated = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  await app.close();
  if (!check) return writeFileSync(file, generated);
  if (readFileSync(file, 'utf8') !== generated) {
    throw new Error(
      `${file} is out of date with the code: run "npm run build && npm run openapi" and commit it`,
    );
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`openapi: ${error.message}\n`);
    process.exit(1);
  },
);
