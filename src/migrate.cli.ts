import 'reflect-metadata';
import { loadConfig } from './config/app-config';
import { ENTITIES } from './entities';
import { openDatabase } from './database/open-database';

/**
 * `npm run migration:run`: applies pending migrations (embedded database too) and exits.
 * `npm run migration:revert`: then undoes the last one applied, for a rollback past the release
 * that brought it (docs/deploy.md); the release before does not know it, so it stays undone.
 */
async function run(revert: boolean) {
  const config = loadConfig();
  const database = await openDatabase(config, ENTITIES, (line) => console.log(line));
  try {
    if (revert) {
      await database.revertLastMigration();
      console.log('the last migration is undone');
    } else console.log('migrations are up to date');
  } finally {
    await database.close();
  }
}

const revert = process.argv.includes('--revert');
run(revert).then(
  () => process.exit(0),
  (error: Error) => {
    const command = revert ? 'migration:revert' : 'migration:run';
    process.stderr.write(`${command} failed: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  },
);
