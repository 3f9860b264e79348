import { startSubgraphProcess } from '@omo/lib/server/run-subgraph';
import { buildLineSubgraph } from './server';

startSubgraphProcess('line', buildLineSubgraph);
