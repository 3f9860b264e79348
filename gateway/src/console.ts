import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Router } from 'express';
import { REPO_ROOT } from '@omo/lib/core/config';
import { isLoopbackHostname } from '@omo/lib/core/loopback';
import type { Logger } from '@omo/lib/core/logger';
import { SignInRefused, type StaffOidc } from './console-oidc';

/**
 * The staff console (console/, a Vite + React app) as the gateway serves it at /console/: its built files, every
 * other path under /console answered with its page (the app routes in the browser), and the session endpoints its
 * sign-in uses. The app talks to nothing but this gateway's /graphql, and its Content-Security-Policy holds it to
 * that.
 */
export interface ConsoleOptions {
  /** The built console; default console/dist (`npm start` and `npm run build` build it). */
  dir?: string;
  /**
   * The development sign-in (`npm start`): a staff token for the role, from the development issuer. Never offered in
   * production, whatever is passed here: there staff bring a token from the retailer's identity provider.
   */
  devSignIn?: (role: StaffRole) => string;
  /** The sign-in with the staff identity provider (STAFF_OIDC_*), in production and out of it. */
  oidc?: StaffOidc;
  logger?: Logger;
}

type StaffRole = 'STAFF' | 'ADMIN';

/**
 * The host name of a request's Host header. A development sign-in is answered only under this machine's loopback
 * names: a page elsewhere that points its own domain at 127.0.0.1 (DNS rebinding) arrives under its own Host.
 */
function hostname(host: string | undefined): string {
  return (host ?? '').replace(/:\d+$/, '');
}

export const CONSOLE_DIST = path.join(REPO_ROOT, 'console', 'dist');

// React and Chart.js set element styles; everything else comes from this origin only
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function consoleRouter(options: ConsoleOptions, production: boolean): Router {
  const dir = options.dir ?? CONSOLE_DIST;
  const devSignIn = production ? undefined : options.devSignIn;
  const router = express.Router();
  router.get('/session/config', async (_req, res) => {
    // a provider that cannot be read now leaves the other sign-ins offered, and says so (in words for staff; the
    // details are in the gateway's log)
    const unavailable = { error: 'The staff identity provider cannot be reached now' };
    const oidc = options.oidc ? await Promise.race([options.oidc.start().catch(() => unavailable), new Promise<typeof unavailable>((resolve) => setTimeout(() => resolve(unavailable), 3_000).unref())]) : null;
    res.set('cache-control', 'no-store').json({ devSignIn: devSignIn !== undefined, oidc });
  });
  router.post('/session/oidc', express.json({ limit: '8kb' }), async (req, res) => {
    if (!options.oidc) return void res.status(404).json({ error: 'No staff identity provider is configured (STAFF_OIDC_ISSUER)' });
    const body = (req.body ?? {}) as Record<string, unknown>;
    const [code, codeVerifier, redirectUri] = [body.code, body.codeVerifier, body.redirectUri];
    if (typeof code !== 'string' || typeof codeVerifier !== 'string' || typeof redirectUri !== 'string' || !/^[A-Za-z0-9._~-]{43,128}$/.test(codeVerifier)) {
      return void res.status(400).json({ error: 'code, codeVerifier (43-128 characters, RFC 7636) and redirectUri are required' });
    }
    try {
      const { token, caller } = await options.oidc.exchange({ code, codeVerifier, redirectUri });
      options.logger?.info({ staffId: caller.staffId, role: caller.role }, 'staff signed in to the console');
      res.set('cache-control', 'no-store').json({ token });
    } catch (error) {
      if (error instanceof SignInRefused) return void res.status(error.status).json({ error: error.message });
      options.logger?.error({ err: error }, 'console sign-in failed');
      res.status(500).json({ error: 'The sign-in failed' });
    }
  });
  router.post('/session/dev', express.json({ limit: '1kb' }), (req, res) => {
    if (!devSignIn) return void res.status(404).json({ error: 'The development sign-in is not offered here: sign in with a token from your identity provider.' });
    if (!isLoopbackHostname(hostname(req.headers.host))) return void res.status(403).json({ error: 'The development sign-in answers on this machine only (127.0.0.1 or localhost).' });
    const role = (req.body as { role?: unknown } | undefined)?.role;
    if (role !== 'STAFF' && role !== 'ADMIN') return void res.status(400).json({ error: 'role must be STAFF or ADMIN' });
    res.set('cache-control', 'no-store').json({ token: devSignIn(role) });
  });
  // a body that is not JSON, or too large, gets a JSON answer (express's own page would show a stack outside production)
  router.use('/session', ((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    res.status(status >= 400 && status < 500 ? status : 500).json({ error: status >= 400 && status < 500 ? 'The request body is not valid JSON (or too large)' : 'The sign-in failed' });
  }) as ErrorRequestHandler);
  // Vite names each built file by its content: they never change under one name
  router.use('/assets', express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }));
  // the page names the build's hashed files: read again whenever a new build replaced it
  let page: { html: string; mtimeMs: number } | undefined;
  router.get(/.*/, (_req, res) => {
    const index = path.join(dir, 'index.html');
    const built = statSync(index, { throwIfNoEntry: false });
    if (!built) return void res.status(503).type('text').send('The staff console is not built: run `npm run build` (or `npm start`, which builds it).\n');
    if (page?.mtimeMs !== built.mtimeMs) page = { html: readFileSync(index, 'utf8'), mtimeMs: built.mtimeMs };
    res.type('html').set('content-security-policy', POLICY).set('cache-control', 'no-cache').set('x-content-type-options', 'nosniff').send(page.html);
  });
  return router;
}
