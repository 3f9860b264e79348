import type { Connection } from '@omo/lib/core/db';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import { createLogger } from '@omo/lib/core/logger';
import type { SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { TEST_INTERNAL_SECRET, testConfig } from '@omo/tools/testing/config';

/** A service directory for a subgraph tested alone: any call to another service fails as unreachable. */
const NO_SERVICES: ServiceDirectory = {
  baseUrl: () => 'http://127.0.0.1:9',
};

export { TEST_INTERNAL_SECRET };

/** Build options for a subgraph under test on its own database, with an injectable clock. */
export function testBuildOptions(connection: Connection, overrides: Partial<SubgraphBuildOptions> = {}): SubgraphBuildOptions {
  return {
    config: testConfig(),
    connection,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    internalSecret: TEST_INTERNAL_SECRET,
    production: false,
    services: NO_SERVICES,
    clock: () => new Date(),
    ...overrides,
  };
}
