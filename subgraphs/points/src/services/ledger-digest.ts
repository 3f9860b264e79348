import { createHash } from 'node:crypto';

/**
 * The request digest a ledger entry keeps beside its key: a replay of the key naming other parts is another
 * request, refused (ledger-append.ts). Each operation chooses its parts: what a twin of the request sends alike.
 */
export function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}
