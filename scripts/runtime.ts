import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@omo/lib/core/config';

export const DATA_DIR = path.join(REPO_ROOT, '.data');
const RUNTIME_FILE = path.join(DATA_DIR, 'runtime.json');

/** Where `npm start` put its database, so the CLIs (apikey, seed) reach the same one while it runs. */
export interface RuntimeInfo {
  mongodbUri: string;
  dbName: string;
  gatewayUrl: string;
}

export function writeRuntime(info: RuntimeInfo): void {
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(RUNTIME_FILE, `${JSON.stringify(info, null, 2)}\n`);
}

/** MONGODB_URI if set, else the database of a running `npm start`. */
export function resolveMongodbUri(configured: string | undefined): string {
  if (configured) return configured;
  if (existsSync(RUNTIME_FILE)) return (JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as RuntimeInfo).mongodbUri;
  throw new Error('Set MONGODB_URI, or run `npm start` first so this command can use its database');
}

/** GATEWAY_URL if set, else the gateway of a running `npm start`. */
export function resolveGatewayUrl(configured: string | undefined): string {
  if (configured) return configured;
  if (existsSync(RUNTIME_FILE)) return (JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as RuntimeInfo).gatewayUrl;
  throw new Error('Set GATEWAY_URL, or run `npm start` first so this command can use its gateway');
}
