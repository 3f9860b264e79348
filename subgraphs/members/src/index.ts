import { loadConfigOrExit } from '@omo/lib/config';
import { createLogger } from '@omo/lib/logger';
import { runStandalone, runSubgraph } from '@omo/lib/run-subgraph';
import { buildMembersSubgraph } from './server';

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);
void runStandalone(async () => {
  if (!config.MONGODB_URI) throw new Error('MONGODB_URI is required to run a service on its own');
  return runSubgraph({
    name: 'members',
    build: buildMembersSubgraph,
    config,
    mongodbUri: config.MONGODB_URI,
    port: config.MEMBERS_PORT,
    logger,
  });
}, logger);
