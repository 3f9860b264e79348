import '@omo/lib/observability/register-tracing';
import { startSubgraphProcess } from '@omo/lib/server/run-subgraph';
import { buildPointsSubgraph } from './server';

startSubgraphProcess('points', buildPointsSubgraph);
