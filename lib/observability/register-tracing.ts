/*
 * Imported first by every process entry point (the gateway's and each subgraph's src/index.ts, npm start's
 * scripts/start.ts), before anything that loads http, graphql or mongodb: the instrumentations can only
 * patch a module that has not been required yet.
 */
import { startTracing } from './tracing';

startTracing();
