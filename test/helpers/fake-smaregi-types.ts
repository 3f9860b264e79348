import type { FakeFields } from './fake-smaregi-records';

/** The fake Smaregi API's shapes (fake-smaregi.ts): what a test scripts and reads. */

/** One call the fake received. */
export interface FakeSmaregiCall {
  method: string;
  /** The path without the query, e.g. /sb_abc/pos/customers/1/point. */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** What the fake answered (0 while held). */
  status: number;
  /** When it came in (real time, ms), to check a client's pace. */
  receivedAt: number;
}

/** Which calls a failure or a hold applies to: a method and a path (substring or pattern; default: any API call). */
export interface FakeSmaregiMatch {
  method?: string;
  path?: string | RegExp;
}

export interface FakeSmaregiFailure extends FakeSmaregiMatch {
  status: 401 | 403 | 429 | 500 | 503;
  /** How many matching calls fail (default 1); 'always' until clearFailures(). */
  times?: number | 'always';
  /** The Retry-After header of a 429 or 503: seconds, or an HTTP date. */
  retryAfter?: string;
}

export interface FakeSmaregiBulk {
  requestId: number;
  contractId: string;
  callbackUrl: string;
  customerPoints: { customerId: string; point: string }[];
  completed: boolean;
}

export interface FakeSmaregi {
  url: string;
  clientId: string;
  clientSecret: string;
  calls: FakeSmaregiCall[];
  /** The API calls (not the token endpoint) of a contract, optionally only one method. */
  apiCalls(contractId: string, method?: string): FakeSmaregiCall[];
  /** How many tokens were issued for the contract. */
  tokensIssued(contractId: string): number;
  /** A contract that installed the app; `points: false` is a plan without points (point calls answer 403). */
  addContract(contractId: string, options?: { points?: boolean; requireKana?: boolean }): void;
  /** Every token issued so far stops working (as after a secret rotation): the next calls get 401. */
  revokeTokens(): void;
  putTransaction(contractId: string, head: FakeTransaction): Record<string, unknown>;
  putCustomer(contractId: string, fields: FakeFields & { point?: number }): Record<string, unknown>;
  deleteCustomer(contractId: string, customerId: string): void;
  customer(contractId: string, customerId: string): Record<string, unknown> | null;
  /** The customer's point field, or null for no such customer. */
  pointOf(contractId: string, customerId: string): number | null;
  fail(failure: FakeSmaregiFailure): void;
  clearFailures(): void;
  /** The next matching call waits until released (then is carried out); `arrived` resolves when it comes in. */
  hold(match: FakeSmaregiMatch): { arrived: Promise<void>; release(): void };
  /** Every matching call is answered `ms` later (carried out then, whether or not the caller still waits). */
  delay(match: FakeSmaregiMatch, ms: number): void;
  bulks(contractId?: string): FakeSmaregiBulk[];
  /**
   * Smaregi finishes a bulk point update: the points are set and the callback POSTed; its HTTP status returned.
   * `loseCallback`: the points are set and the callback never arrives (null).
   */
  completeBulk(requestId: number | string, options?: { loseCallback?: boolean }): Promise<number | null>;
  /** Posts a webhook as Smaregi does (its headers, the app's secret header); answers the receiver's status and body. */
  sendWebhook(
    url: string,
    body: { contractId: string; event: string; action: string; transactionHeadIds?: string[]; customerIds?: string[] },
    options: { secret: string; header: string; eventId?: string },
  ): Promise<{ status: number; body: string }>;
  /**
   * The SMAREGI_* settings of a system using this fake for these contracts (each added here), for startTestSystem's
   * overrides; the webhook secret and its header are FAKE_SMAREGI_WEBHOOK.
   */
  settings(contracts: { contractId: string; stores?: Record<string, string>; createCustomers?: boolean }[], extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** The webhook secret and header the fake's settings configure (sendWebhook's options). */
export const FAKE_SMAREGI_WEBHOOK = { secret: 'fake-smaregi-webhook-secret-0123', header: 'x-smaregi-webhook-secret' };

/** A transaction a test puts in: head fields, and its lines. */
export type FakeTransaction = { [field: string]: FakeFields[keyof FakeFields] | FakeFields[]; details?: FakeFields[] };
