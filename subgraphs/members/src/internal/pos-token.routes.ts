import express, { Router } from 'express';
import { z } from 'zod';
import { POS_JWKS_PATH } from '@omo/lib/core/bearer-tokens';
import type { Logger } from '@omo/lib/core/logger';
import { POS_TOKEN_PATH } from '@omo/lib/contracts/members';
import type { PosTokenService } from '../services/pos-token.service';

/** An RFC 6749 §5.2 error answer. */
function oauthError(res: express.Response, status: number, error: string, description: string): void {
  res.status(status).set('cache-control', 'no-store').json({ error, error_description: description });
}

/** The fields of a token request read here; a field of another type counts as absent, and the rest is ignored. */
const tokenRequestSchema = z
  .object({
    grant_type: z.string().optional().catch(undefined),
    client_secret: z.string().optional().catch(undefined),
  })
  .catch({});
type TokenRequest = z.infer<typeof tokenRequestSchema>;

/** The client secret of a client-credentials request: in the body (form or JSON), or as HTTP Basic's password. */
function clientSecretOf(req: express.Request, body: TokenRequest): string | undefined {
  if (body.client_secret !== undefined) return body.client_secret;
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(colon + 1));
  } catch {
    return undefined;
  }
}

/**
 * POST /oauth/token (grant_type=client_credentials, the POS key as client_secret) and GET /.well-known/jwks.json:
 * public routes, as a token endpoint and a key set are; the key itself is the credential.
 */
export function posTokenRoutes(tokens: PosTokenService, logger: Logger): Router {
  const router = Router();
  router.post(POS_TOKEN_PATH, express.urlencoded({ extended: false, limit: '4kb' }), express.json({ limit: '4kb' }), async (req, res) => {
    const body = tokenRequestSchema.parse(req.body ?? {});
    if (body.grant_type !== 'client_credentials') return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    const secret = clientSecretOf(req, body);
    if (!secret) return oauthError(res, 400, 'invalid_request', 'client_secret (the POS key) is required');
    try {
      const token = await tokens.exchange(secret.trim());
      if (!token) return oauthError(res, 401, 'invalid_client', 'Invalid API key');
      res.set('cache-control', 'no-store').json(token);
    } catch (error) {
      logger.error({ err: error }, 'POS token exchange failed');
      oauthError(res, 500, 'server_error', 'Internal server error');
    }
  });
  router.get(POS_JWKS_PATH, async (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(await tokens.jwks());
  });
  return router;
}
