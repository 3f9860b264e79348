import { startSubgraphProcess } from '@omo/lib/run-subgraph';
import { buildPointsSubgraph } from './server';

startSubgraphProcess('points', buildPointsSubgraph);
