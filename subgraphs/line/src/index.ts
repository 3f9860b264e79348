import '@omo/lib/observability/register-tracing';
import { startSubgraphProcess } from '@omo/lib/server/run-subgraph';
import { buildLineSubgraph } from './server';

startSubgraphProcess('line', buildLineSubgraph);
