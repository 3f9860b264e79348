import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__OMO_TEST_DATABASE__?.stop();
  const dataDir = process.env.OMO_TEST_DATA_DIR;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
