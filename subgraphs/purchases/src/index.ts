import '@omo/lib/observability/register-tracing';
import { startSubgraphProcess } from '@omo/lib/server/run-subgraph';
import { buildPurchasesSubgraph } from './server';

startSubgraphProcess('purchases', buildPurchasesSubgraph);
