import '@omo/lib/observability/register-tracing';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { createLogger } from '@omo/lib/core/logger';
import { runStandalone } from '@omo/lib/server/run-subgraph';
import { startGateway } from './server';

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL).child({ service: 'gateway' });
void runStandalone(() => startGateway({ config, logger, port: config.GATEWAY_PORT }), logger);
