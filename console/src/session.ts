import { useSyncExternalStore } from 'react';

/**
 * The staff member's session: a bearer token from the staff identity provider, kept for this browser tab only.
 * Staff get it by signing in with that provider (OpenID Connect, startSignIn / completeSignIn); under `npm start`
 * the gateway also offers a development sign-in (POST /console/session/dev) from its development issuer, and a
 * token from elsewhere can be pasted (docs/console.md).
 * The role read here only decides what the console offers: the gateway checks every call itself.
 */
export type StaffRole = 'STAFF' | 'ADMIN';
export interface Session {
  token: string;
  role: StaffRole;
  subject: string;
}

const KEY = 'omo-console-token';
const listeners = new Set<() => void>();
let cached: { token: string | null; session: Session | null } = { token: null, session: null };

function decode(token: string): Session | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; role?: string; exp?: number };
    if (claims.role !== 'STAFF' && claims.role !== 'ADMIN') return null;
    if (claims.exp && claims.exp * 1000 < Date.now()) return null;
    return { token, role: claims.role, subject: claims.sub ?? '' };
  } catch {
    return null;
  }
}

function read(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (token !== cached.token) cached = { token, session: token ? decode(token) : null };
  return cached.session;
}

function changed(): void {
  for (const listener of listeners) listener();
}

export function currentToken(): string | null {
  return read()?.token ?? null;
}

/** Signs in with a token; false if it is not a staff token (or has expired). */
export function signIn(token: string): boolean {
  if (!decode(token.trim())) return false;
  sessionStorage.setItem(KEY, token.trim());
  changed();
  return true;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  changed();
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read,
  );
}

/** The sign-ins this gateway offers: the development one (never in production), the staff identity provider's. */
export interface SignInOptions {
  devSignIn: boolean;
  oidc: { authorizationEndpoint: string; clientId: string; scope: string } | { error: string } | null;
}

export async function signInOptions(): Promise<SignInOptions> {
  const response = await fetch('/console/session/config').catch(() => undefined);
  if (!response?.ok) return { devSignIn: false, oidc: null };
  return (await response.json()) as SignInOptions;
}

// the console's address at the provider: registered there as the client's redirect URI
const REDIRECT_URI = () => `${location.origin}/console/`;
const PENDING = 'omo-console-oidc';

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (length: number) => base64url(crypto.getRandomValues(new Uint8Array(length)));

/**
 * Sends staff to their identity provider (OpenID Connect, authorization code with PKCE, RFC 7636): a fresh verifier
 * and state kept in this tab, the S256 challenge sent. completeSignIn() finishes when the provider sends them back.
 */
export async function startSignIn(oidc: { authorizationEndpoint: string; clientId: string; scope: string }): Promise<void> {
  const verifier = random(32);
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const url = new URL(oidc.authorizationEndpoint);
  for (const [name, value] of Object.entries({ response_type: 'code', client_id: oidc.clientId, redirect_uri: REDIRECT_URI(), scope: oidc.scope, state, code_challenge: challenge, code_challenge_method: 'S256' })) {
    url.searchParams.set(name, value);
  }
  location.assign(url.toString());
}

/**
 * The provider's answer in this page's address (?code=&state= or ?error=), if there is one: the code redeemed by the
 * gateway for the staff token, the session started, the address cleaned. Throws with what went wrong; false when the
 * address holds no answer.
 */
export async function completeSignIn(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string } | null;
  // an answer this tab did not ask for (another tab's, or a forged link) is neither redeemed nor shown, and leaves a
  // sign-in this tab did start waiting for its own answer
  if (!pending || params.get('state') !== pending.state) {
    history.replaceState(null, '', '/console/');
    throw new Error('The sign-in answer does not match this tab’s sign-in: start again.');
  }
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', '/console/');
  // the provider's error code only (RFC 6749 4.1.2.1), in our words: its description is not shown
  if (error) throw new Error(error === 'access_denied' ? 'The sign-in was cancelled or refused at the identity provider.' : `The identity provider could not sign you in (${error.replace(/[^a-z_]/g, '')}).`);
  const response = await fetch('/console/session/oidc', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, codeVerifier: pending.verifier, redirectUri: REDIRECT_URI() }),
  });
  const answer = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !answer.token) throw new Error(answer.error ?? `HTTP ${response.status}`);
  if (!signIn(answer.token)) throw new Error('The identity provider’s token is not a staff token.');
  return true;
}

export async function devSignIn(role: StaffRole): Promise<void> {
  const response = await fetch('/console/session/dev', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role }) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { token } = (await response.json()) as { token: string };
  signIn(token);
}
