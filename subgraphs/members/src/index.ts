import { startSubgraphProcess } from '@omo/lib/run-subgraph';
import { buildMembersSubgraph } from './server';

startSubgraphProcess('members', buildMembersSubgraph);
