import { startSubgraphProcess } from '@omo/lib/run-subgraph';
import { buildPurchasesSubgraph } from './server';

startSubgraphProcess('purchases', buildPurchasesSubgraph);
