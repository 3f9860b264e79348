import { useSyncExternalStore } from 'react';

/**
 * The staff member's session: a bearer token from the staff identity provider, kept for this browser tab only.
 * Under `npm start` the gateway offers a development sign-in (POST /console/session/dev) that issues one from its
 * development issuer; in production staff bring a token from the retailer's identity provider (docs/console.md).
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

/** Whether this gateway offers the development sign-in (never in production). */
export async function devSignInOffered(): Promise<boolean> {
  const response = await fetch('/console/session/config').catch(() => undefined);
  if (!response?.ok) return false;
  return ((await response.json()) as { devSignIn?: boolean }).devSignIn === true;
}

export async function devSignIn(role: StaffRole): Promise<void> {
  const response = await fetch('/console/session/dev', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role }) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { token } = (await response.json()) as { token: string };
  signIn(token);
}
