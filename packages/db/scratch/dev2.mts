import { adapterFor } from '../src/adapters.ts';
import { openSchemaEngine } from '../src/schema-engine.ts';
import { migrationList, schemaFile, NO_FILTERS } from '../src/migrations.ts';
const url = process.argv[2];
const base = adapterFor(url) as any;
const wrap = (c: any, tag: string) => new Proxy(c, { get(t, p) { const v = t[p]; if (typeof v !== 'function') return v; return async (...a: any[]) => { try { return await v.apply(t, a); } catch (e) { console.log(tag, String(p), 'THREW', e, JSON.stringify(a).slice(0, 300)); throw e; } }; } });
const f = { provider: base.provider, adapterName: base.adapterName, connect: async () => wrap(await base.connect(), 'main'), connectToShadowDb: async () => wrap(await base.connectToShadowDb(), 'shadow') };
const { engine, close } = await openSchemaEngine(schemaFile('sqlite'), f as any);
await engine.applyMigrations({ migrationsList: { ...migrationList('sqlite'), migrationDirectories: [] }, filters: NO_FILTERS });
try { console.log(JSON.stringify(await engine.devDiagnostic({ migrationsList: migrationList('sqlite'), filters: NO_FILTERS }))); } catch (e) { console.log('ERR', (e as Error).message.slice(0, 300)); }
await close();
