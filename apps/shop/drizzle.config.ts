import { defineConfig } from 'drizzle-kit';

// `pnpm --filter @strata/shop db:generate` writes a new SQL migration into ./drizzle after a change
// to the schema; the app applies them at boot with drizzle-orm's migrator (src/db/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
