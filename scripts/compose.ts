import { writeFileSync } from 'node:fs';
import { SUPERGRAPH_PATH, composeSupergraph } from '@omo/gateway/src/supergraph';

try {
  writeFileSync(SUPERGRAPH_PATH, composeSupergraph());
  process.stdout.write(`wrote ${SUPERGRAPH_PATH}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
