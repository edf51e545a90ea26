import 'reflect-metadata';
import { loadConfig } from '../config/app-config';
import { ENTITIES } from '../entities';
import { openDatabase } from './open-database';

/** `npm run migration:run`: applies pending migrations (embedded database too) and exits. */
async function run() {
  const config = loadConfig();
  const database = await openDatabase(config, ENTITIES, (line) => console.log(line));
  console.log('migrations are up to date');
  await database.close();
}

run().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`migration:run failed: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  },
);
