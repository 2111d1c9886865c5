import { adapterFor } from '/work/main/packages/db/src/adapters.ts';
import { openSchemaEngine } from '/work/main/packages/db/src/schema-engine.ts';
import { migrationList, schemaFile, NO_FILTERS } from '/work/main/packages/db/src/migrations.ts';
const url = process.argv[2];
const { engine, close } = await openSchemaEngine(schemaFile('sqlite'), adapterFor(url));
for (const m of ['devDiagnostic', 'diagnoseMigrationHistory']) {
  try {
    console.log(m, JSON.stringify(await (engine as any)[m]({ migrationsList: migrationList('sqlite'), filters: NO_FILTERS, optInToShadowDatabase: true })).slice(0, 400));
  } catch (e) { console.log(m, 'ERR', e, Object.keys(e as any), (e as any).code); }
}
await close();
