import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config/app-config';
import { ENTITIES } from './entities';
import { openDatabase } from './database/open-database';

/**
 * `npm run migration:generate -- <PascalName>`: applies the existing migrations, diffs the
 * entities against that schema and writes migrations/<timestamp>-<PascalName>.ts for review.
 */
async function generate(name: string) {
  if (!/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('give the migration a PascalCase name');
  const database = await openDatabase(loadConfig(), ENTITIES, (line) => console.log(line));
  try {
    const sql = await database.dataSource.driver.createSchemaBuilder().log();
    if (sql.upQueries.length === 0)
      return console.log('the entities match the schema: nothing to generate');
    const timestamp = Date.now();
    const file = join(__dirname, '..', 'migrations', `${timestamp}-${name}.ts`);
    const statements = (queries: { query: string }[]) =>
      queries
        .map(({ query }) => `    await queryRunner.query(\`${query.replace(/`/g, '\\`')}\`);`)
        .join('\n');
    writeFileSync(
      file,
      migrationSource(
        `${name}${timestamp}`,
        statements(sql.upQueries),
        statements(sql.downQueries.reverse()),
      ),
    );
    console.log(`wrote ${file}`);
  } finally {
    await database.close();
  }
}

function migrationSource(className: string, up: string, down: string): string {
  return `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${up}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${down}
  }
}
`;
}

generate(process.argv[2] ?? '').then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`migration:generate failed: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  },
);
