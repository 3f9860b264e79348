import { startSubgraphProcess } from '@omo/lib/run-subgraph';
import { buildLineSubgraph } from './server';

startSubgraphProcess('line', buildLineSubgraph);
