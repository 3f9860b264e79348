import { loadConfigOrExit } from '@omo/lib/config';
import { createLogger } from '@omo/lib/logger';
import { runStandalone, runSubgraph } from '@omo/lib/run-subgraph';
import { buildLineSubgraph } from './server';

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);
void runStandalone(async () => {
  if (!config.MONGODB_URI) throw new Error('MONGODB_URI is required to run a service on its own');
  return runSubgraph({
    name: 'line',
    build: buildLineSubgraph,
    config,
    mongodbUri: config.MONGODB_URI,
    port: config.LINE_PORT,
    logger,
  });
}, logger);
