import '@omo/lib/observability/register-tracing';
import path from 'node:path';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { provideDatabase } from '@omo/tools/dev-db/db-provider';
import { createLogger } from '@omo/lib/core/logger';
import { stopTracing } from '@omo/lib/observability/tracing';
import { buildConsole, consoleBuildIsStale } from './console-build';
import { signWithDevIssuer, startDevIssuer, trustingDevIssuer } from './dev-issuer';
import { DATA_DIR, writeRuntime } from './runtime';
import { seedDemoData } from './seed';
import { startSystem } from './system';

/**
 * `npm start`: an embedded database (MONGODB_URI if set, else a real mongod, else FerretDB with its data in
 * .data/), the four subgraphs and the gateway in this process, demo data, and what a new user needs to try it.
 */
async function main(): Promise<void> {
  const configured = loadConfigOrExit();
  // no identity provider configured: a development issuer stands in for both customers' and staff's
  const devIssuer = configured.CUSTOMER_JWKS_URL || configured.STAFF_JWKS_URL ? undefined : await startDevIssuer(configured.DEV_ISSUER_PORT);
  const config = devIssuer ? trustingDevIssuer(configured, devIssuer.port) : configured;
  const token = (claims: { sub: string; role: 'CUSTOMER' | 'STAFF' | 'ADMIN' }) => {
    const signed = signWithDevIssuer(claims, config);
    if (!signed) throw new Error('npm start prints tokens only with its development issuer (no *_JWKS_URL set)');
    return signed;
  };
  const logger = createLogger(config.LOG_LEVEL);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const database = await provideDatabase({
    mongodbUri: config.MONGODB_URI,
    dataDir: path.join(DATA_DIR, 'ferretdb'),
    log: say,
  });
  if (consoleBuildIsStale()) {
    say('building the staff console (console/, Vite; a few seconds)...');
    await buildConsole();
  }
  const adminToken = token({ sub: 'demo-admin', role: 'ADMIN' });
  const staffToken = token({ sub: 'demo-staff', role: 'STAFF' });
  // the IDE at the endpoint opens with the STAFF token, the least of the printed ones that reads members and stores
  const system = await startSystem({
    config,
    mongodbUri: database.uri,
    logger,
    ide: { headers: { authorization: `Bearer ${staffToken}` } },
    // the console's development sign-in: the same issuer's tokens, for whoever opens it on this machine
    console: devIssuer ? { devSignIn: (role) => token({ sub: `demo-${role.toLowerCase()}`, role }) } : {},
  });
  writeRuntime({ mongodbUri: database.uri, dbName: config.MONGODB_DB, gatewayUrl: system.gatewayUrl });
  const seed = await seedDemoData({ gatewayUrl: system.gatewayUrl, staffToken: adminToken, mongodbUri: database.uri, dbName: config.MONGODB_DB });
  const hanako = seed.members[0]!;
  const customerToken = token({ sub: hanako.id, role: 'CUSTOMER' });

  say('');
  say('OMO loyalty supergraph is running');
  say(`  GraphQL endpoint (open it in a browser for GraphiQL, with the STAFF token below filled in): ${system.gatewayUrl}`);
  say(`  Staff console (sign in as STAFF or ADMIN with the development sign-in): ${system.gatewayUrl.replace(/\/graphql$/, '/console/')}`);
  say(`  Database: ${database.kind} ${database.uri} (db "${config.MONGODB_DB}")`);
  say('');
  say('Demo stores:');
  for (const store of seed.stores) say(`  ${store.code}  ${store.id}  ${store.name} (${store.kind})`);
  say('Demo members:');
  for (const member of seed.members) say(`  ${member.memberCode}  ${member.id}  ${member.displayName}`);
  say('');
  say(`Tokens (Authorization: Bearer ...) from the development issuer (JWKS at ${config.STAFF_JWKS_URL}), valid 12 h:`);
  say(`  ADMIN (rules, stores, POS keys, merges):\n  ${adminToken}`);
  say(`  STAFF (look members up, adjust points within the limit, segments and messages):\n  ${staffToken}`);
  say(`Customer token for ${hanako.displayName}:\n  ${customerToken}`);
  say(`POS key for the demo stores (x-api-key: ...), shown once:\n  ${seed.posKey}`);
  say('');
  say('Try:');
  say(
    `  curl -s ${system.gatewayUrl} -H 'content-type: application/json' -H 'x-api-key: ${seed.posKey}' \\\n` +
      `    -d '{"query":"{ memberByCode(code: \\"${hanako.memberCode}\\") { id displayName card { code } points { balance } } }"}'`,
  );

  const stop = () => {
    void system
      .close()
      .then(() => devIssuer?.close())
      .then(() => database.stop())
      .then(stopTracing)
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
