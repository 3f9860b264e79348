import { ensureFerretDbBinary } from '@omo/tools/dev-db/ferretdb';

/** Builds (or finds cached) the FerretDB binary; .ci/run calls it so the build shows as its own step. */
ensureFerretDbBinary((line) => process.stdout.write(`${line}\n`)).then(
  (binary) => process.stdout.write(`FerretDB ready: ${binary}\n`),
  (error: unknown) => {
    process.stderr.write(`FerretDB build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
