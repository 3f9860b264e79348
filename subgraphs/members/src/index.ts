import '@omo/lib/observability/register-tracing';
import { startSubgraphProcess } from '@omo/lib/server/run-subgraph';
import { buildMembersSubgraph } from './server';

startSubgraphProcess('members', buildMembersSubgraph);
