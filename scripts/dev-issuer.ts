import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { signUserToken, type SigningKey } from '@omo/lib/core/bearer-tokens';
import type { AppConfig } from '@omo/lib/core/config';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { DATA_DIR } from './runtime';

const KEY_FILE = path.join(DATA_DIR, 'dev-issuer.json');
type Audience = 'customers' | 'staff';

interface StoredKeys {
  port: number;
  keys: Record<Audience, { kid: string; privateJwk: JsonWebKey }>;
}

/** The configuration of a system that trusts this development issuer: its JWKS for both customers and staff. */
export function trustingDevIssuer(config: AppConfig, port: number): AppConfig {
  return {
    ...config,
    CUSTOMER_JWKS_URL: `http://127.0.0.1:${port}/customers/jwks.json`,
    CUSTOMER_JWT_SECRET: undefined,
    STAFF_JWKS_URL: `http://127.0.0.1:${port}/staff/jwks.json`,
    STAFF_JWT_SECRET: undefined,
  };
}

function loadOrCreateKeys(port: number, keyFile: string): StoredKeys {
  if (existsSync(keyFile)) {
    const stored = JSON.parse(readFileSync(keyFile, 'utf8')) as StoredKeys;
    if (stored.port === port) return stored;
  }
  const make = () => ({ kid: randomUUID(), privateJwk: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) });
  const stored: StoredKeys = { port, keys: { customers: make(), staff: make() } };
  mkdirSync(path.dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  return stored;
}

function signingKeyOf(stored: StoredKeys, audience: Audience): SigningKey {
  const { kid, privateJwk } = stored.keys[audience];
  return { key: createPrivateKey({ key: privateJwk, format: 'jwk' }), algorithm: 'ES256', kid };
}

function publicJwk(stored: StoredKeys, audience: Audience): JsonWebKey {
  const { kid, privateJwk } = stored.keys[audience];
  const key: KeyObject = createPublicKey({ key: privateJwk, format: 'jwk' });
  return { ...key.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
}

/**
 * `npm start`'s stand-in for the retailer's identity providers: one ES256 key for customers' tokens and another for
 * staff's, their JWKS served on loopback, so the system verifies tokens exactly as it does against a real issuer.
 * The keys stay in .data/ so `npm run token` can sign while `npm start` runs.
 */
export async function startDevIssuer(port: number, keyFile = KEY_FILE): Promise<RunningHttpServer> {
  const app = express();
  const running = await listen(app, port);
  // port 0 (the bench) is known only now; the keys go with the port they were served on
  const stored = loadOrCreateKeys(running.port, keyFile);
  for (const audience of ['customers', 'staff'] as const) {
    app.get(`/${audience}/jwks.json`, (_req, res) => void res.json({ keys: [publicJwk(stored, audience)] }));
  }
  return running;
}

type Claims = { sub: string; role: 'CUSTOMER' | 'STAFF' | 'ADMIN' };

/** A token from the development issuer whose keys are in `keyFile` (those a running `npm start` trusts); null when it has none. */
export function signWithDevIssuer(claims: Claims, config: AppConfig, keyFile = KEY_FILE): string | null {
  if (!existsSync(keyFile)) return null;
  const stored = JSON.parse(readFileSync(keyFile, 'utf8')) as StoredKeys;
  const audience: Audience = claims.role === 'CUSTOMER' ? 'customers' : 'staff';
  return signUserToken(claims, config, { signingKey: signingKeyOf(stored, audience) });
}
