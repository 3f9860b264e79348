import { randomBytes, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { listen } from '@omo/lib/server/http';
import {
  ACCESS_DENIED, customerFields, customerRecord, problem, smaregiDateTime, transactionDetail, transactionHead, type FakeFields,
} from './fake-smaregi-records';
import { FAKE_SMAREGI_WEBHOOK, type FakeSmaregi, type FakeSmaregiBulk, type FakeSmaregiCall, type FakeSmaregiFailure, type FakeSmaregiMatch } from './fake-smaregi-types';

export { FAKE_SMAREGI_WEBHOOK } from './fake-smaregi-types';
export type { FakeSmaregi, FakeSmaregiBulk, FakeSmaregiCall, FakeSmaregiFailure, FakeSmaregiMatch, FakeTransaction } from './fake-smaregi-types';

const SCOPES = ['pos.transactions:read', 'pos.transactions:write', 'pos.customers:read', 'pos.customers:write', 'pos.stores:read'];

interface StoredCustomer {
  fields: Record<string, string | null>;
  point: number;
  updatedAt: Date;
}

interface Contract {
  points: boolean;
  requireKana: boolean;
  transactions: Map<string, Record<string, unknown>>;
  customers: Map<string, StoredCustomer>;
  nextTransactionId: number;
  nextCustomerId: number;
}

function matches(match: FakeSmaregiMatch, req: Request, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== req.method) return false;
  if (match.path === undefined) return path.includes('/pos/');
  return typeof match.path === 'string' ? path.includes(match.path) : match.path.test(path);
}

/**
 * A stand-in for the Smaregi Platform API on loopback, both hosts on one port: the token endpoint
 * (`POST /app/{contractId}/token`, as id.smaregi.{dev,jp}) and the POS API (`/{contractId}/pos/...`, as
 * api.smaregi.{dev,jp}). Point SMAREGI_ID_BASE_URL and SMAREGI_API_BASE_URL at `url`. Like Smaregi it checks the
 * app's Basic credentials and each call's Bearer token (issued for that contract, not expired, with the scope),
 * answers every number as a string and unset fields as null, errors as RFC 7807 problems, applies the bulk point
 * update later (when the test calls `completeBulk`, then POSTs the callback), and records every call.
 */
export async function startFakeSmaregi(options: { clientId?: string; clientSecret?: string; tokenTtlSeconds?: number; now?: () => Date } = {}): Promise<FakeSmaregi> {
  const clientId = options.clientId ?? 'fake-smaregi-client-id';
  const clientSecret = options.clientSecret ?? 'fake-smaregi-client-secret';
  const now = options.now ?? (() => new Date());
  const contracts = new Map<string, Contract>();
  const tokens = new Map<string, { contractId: string; scopes: string[]; expiresAt: number }>();
  const issued = new Map<string, number>();
  const calls: FakeSmaregiCall[] = [];
  const failures: (FakeSmaregiFailure & { left: number })[] = [];
  const holds: { match: FakeSmaregiMatch; arrived: () => void; released: Promise<void> }[] = [];
  const delays: { match: FakeSmaregiMatch; ms: number }[] = [];
  const bulks: FakeSmaregiBulk[] = [];
  let nextRequestId = 1000;

  const contractOf = (id: string): Contract => {
    const contract = contracts.get(id);
    if (!contract) throw new Error(`fake Smaregi: no contract ${id} (addContract first)`);
    return contract;
  };

  const app = express();
  app.use(express.json(), express.urlencoded({ extended: false }));
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const call: FakeSmaregiCall = { method: req.method, path, query: { ...req.query }, body: req.body ?? null, headers: req.headers, status: 0, receivedAt: Date.now() };
    calls.push(call);
    const json = res.json.bind(res);
    res.json = (payload: unknown) => {
      call.status = res.statusCode;
      return json(payload);
    };
    const held = holds.findIndex((h) => matches(h.match, req, path));
    if (held >= 0) {
      const [hold] = holds.splice(held, 1);
      hold!.arrived();
      await hold!.released;
    }
    const delay = delays.find((d) => matches(d.match, req, path));
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
    const failure = failures.find((f) => matches(f, req, path));
    if (failure) {
      failure.left -= 1;
      if (failure.left <= 0) failures.splice(failures.indexOf(failure), 1);
      if (failure.retryAfter !== undefined) res.setHeader('retry-after', failure.retryAfter);
      if (failure.status === 401) return void res.status(401).json(ACCESS_DENIED);
      const titles = { 403: 'Forbidden', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' } as const;
      return void res.status(failure.status).type('application/problem+json').json(problem(failure.status, titles[failure.status]));
    }
    next();
  });

  app.post('/app/:contractId/token', (req, res) => {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [id, secret] = Buffer.from(encoded ?? '', 'base64').toString('utf8').split(':');
    if (scheme !== 'Basic' || id !== clientId || secret !== clientSecret || !contracts.has(req.params.contractId)) {
      return void res.status(401).json({ error: 'invalid_client', error_description: 'Client authentication failed', message: 'Client authentication failed' });
    }
    const body = (req.body ?? {}) as { grant_type?: string; scope?: string };
    if (body.grant_type !== 'client_credentials') return void res.status(400).json({ error: 'unsupported_grant_type', error_description: 'The authorization grant type is not supported.' });
    const scopes = (body.scope ?? '').split(' ').filter(Boolean);
    if (scopes.some((s) => !SCOPES.includes(s))) return void res.status(400).json({ error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed.' });
    const accessToken = randomBytes(24).toString('base64url');
    const ttl = options.tokenTtlSeconds ?? 3600;
    tokens.set(accessToken, { contractId: req.params.contractId, scopes, expiresAt: now().getTime() + ttl * 1000 });
    issued.set(req.params.contractId, (issued.get(req.params.contractId) ?? 0) + 1);
    res.json({ scope: scopes.join(' '), token_type: 'Bearer', expires_in: ttl, access_token: accessToken });
  });

  const api = express.Router({ mergeParams: true });
  app.use('/:contractId/pos', (req, res, next) => {
    const contractId = String(req.params.contractId);
    const [scheme, value] = (req.headers.authorization ?? '').split(' ');
    const token = scheme === 'Bearer' ? tokens.get(value ?? '') : undefined;
    if (!token || token.contractId !== contractId || token.expiresAt <= now().getTime()) return void res.status(401).json(ACCESS_DENIED);
    const group = req.path.startsWith('/transactions') ? 'pos.transactions' : 'pos.customers';
    const needed = `${group}:${req.method === 'GET' ? 'read' : 'write'}`;
    if (!token.scopes.includes(needed)) return void res.status(403).json(problem(403, 'Forbidden', `スコープ ${needed} がありません`));
    res.locals.contract = contractOf(contractId);
    res.locals.contractId = contractId;
    next();
  }, api);

  const here = (res: Response): Contract => res.locals.contract as Contract;
  /** Smaregi forfeits (失効) the points of a customer whose pointExpireDate has passed before it answers with them. */
  const forfeit = (c: StoredCustomer): StoredCustomer => {
    const expires = c.fields.pointExpireDate;
    if (expires && expires < smaregiDateTime(now()).slice(0, 10)) c.point = 0;
    return c;
  };
  const customerOut = (id: string, c: StoredCustomer) => customerRecord(id, forfeit(c).fields, c.point, c.updatedAt);
  const notFound = (res: Response, what: string) => res.status(404).json(problem(404, 'Not Found', `${what}が存在しません`));
  const pointTransaction = (contract: Contract, customerId: string, before: number, after: number): string[] => {
    if (before === after) return [];
    const id = String(contract.nextTransactionId++);
    const delta = Math.abs(after - before);
    contract.transactions.set(id, transactionHead(id, now(), {
      transactionHeadDivision: after > before ? 6 : 7, customerId, subtotal: 0, total: 0, cashTotal: 0, deposit: 0, amount: 0,
      taxInclude: 0, point: before, newPoint: after > before ? delta : 0, spendPoint: after > before ? 0 : delta, totalPoint: after,
    }));
    return [id];
  };

  api.get('/transactions/:id', (req, res) => {
    const head = here(res).transactions.get(req.params.id);
    if (!head) return void notFound(res, '取引');
    const { details, ...rest } = head as { details?: unknown };
    res.json(req.query.with_details === 'all' ? { ...rest, details } : rest);
  });
  api.get('/customers', (req, res) => {
    const code = typeof req.query.customer_code === 'string' ? req.query.customer_code : null;
    const limit = Math.min(Number(req.query.limit ?? 100), 1000);
    const page = Number(req.query.page ?? 1);
    const found = [...here(res).customers.entries()].filter(([, c]) => code === null || c.fields.customerCode === code);
    res.json(found.slice((page - 1) * limit, page * limit).map(([id, c]) => customerOut(id, c)));
  });
  api.get('/customers/point', (req, res) => {
    const only = typeof req.query.customer_id === 'string' ? req.query.customer_id : null;
    if (!here(res).points) return void res.status(403).json(problem(403, 'Forbidden', 'ご利用のプランではポイント機能を利用できません'));
    const rows = [...here(res).customers.entries()].filter(([id]) => only === null || id === only);
    res.json(rows.map(([id, c]) => ({ customerId: id, point: String(forfeit(c).point), mile: null, pointExpireDate: c.fields.pointExpireDate ?? null })));
  });
  api.get('/customers/:id', (req, res) => {
    const customer = here(res).customers.get(req.params.id);
    if (!customer) return void notFound(res, '会員');
    res.json(customerOut(req.params.id, customer));
  });
  api.post('/customers', (req, res) => {
    const contract = here(res);
    const fields = customerFields((req.body ?? {}) as FakeFields);
    const required = ['customerCode', 'lastName', 'firstName', ...(contract.requireKana ? ['lastKana', 'firstKana'] : [])];
    const missing = required.find((k) => !fields[k]);
    if (missing) return void res.status(400).json(problem(400, 'Bad Request', `${missing}は必須です`));
    if (!/^[\x21-\x7e]{1,20}$/.test(fields.customerCode!)) return void res.status(400).json(problem(400, 'Bad Request', 'customerCodeは20文字以内の半角英数記号で入力してください'));
    if ([...contract.customers.values()].some((c) => c.fields.customerCode === fields.customerCode)) {
      return void res.status(400).json(problem(400, 'Bad Request', 'customerCodeは既に使用されています'));
    }
    const id = String(contract.nextCustomerId++);
    const customer = { fields, point: 0, updatedAt: now() };
    contract.customers.set(id, customer);
    res.json(customerOut(id, customer));
  });

  const pointUpdate = (relative: boolean) => (req: Request, res: Response) => {
    const contract = here(res);
    if (!contract.points) return void res.status(403).json(problem(403, 'Forbidden', 'ご利用のプランではポイント機能を利用できません'));
    const customer = contract.customers.get(String(req.params.id));
    if (!customer) return void notFound(res, '会員');
    const { point: raw, pointExpireDate } = (req.body ?? {}) as { point?: unknown; pointExpireDate?: unknown };
    if (typeof raw !== 'string' || !/^-?\d{1,9}$/.test(raw)) return void res.status(400).json(problem(400, 'Bad Request', 'pointは数値の文字列で入力してください'));
    if (pointExpireDate !== undefined && (typeof pointExpireDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(pointExpireDate))) {
      return void res.status(400).json(problem(400, 'Bad Request', 'pointExpireDateはYYYY-MM-DD形式で入力してください'));
    }
    forfeit(customer);
    // as Smaregi: a pointExpireDate left out leaves the one the customer has
    if (pointExpireDate !== undefined) customer.fields.pointExpireDate = pointExpireDate;
    const after = relative ? customer.point + Number(raw) : Number(raw);
    if (after < 0) return void res.status(400).json(problem(400, 'Bad Request', 'ポイントがマイナスになります'));
    const transactionHeadIds = pointTransaction(contract, String(req.params.id), customer.point, after);
    Object.assign(customer, { point: after, updatedAt: now() });
    res.json({ customerId: req.params.id, mile: '0', point: String(after), pointExpireDate: customer.fields.pointExpireDate ?? null, updDateTime: customerOut(String(req.params.id), customer).updDateTime, transactionHeadIds });
  };
  api.patch('/customers/point/bulk', (req, res) => {
    const body = (req.body ?? {}) as { customerPoints?: { customerId?: unknown; point?: unknown }[]; callbackUrl?: unknown };
    if (!here(res).points) return void res.status(403).json(problem(403, 'Forbidden', 'ご利用のプランではポイント機能を利用できません'));
    const rows = body.customerPoints ?? [];
    if (typeof body.callbackUrl !== 'string' || !/^https?:\/\//.test(body.callbackUrl)) return void res.status(400).json(problem(400, 'Bad Request', 'callbackUrlは必須です'));
    if (rows.length === 0 || rows.length > 100) return void res.status(400).json(problem(400, 'Bad Request', 'customerPointsは1件以上100件以内で指定してください'));
    if (rows.some((r) => typeof r.customerId !== 'string' || typeof r.point !== 'string' || !/^\d{1,9}$/.test(r.point))) {
      return void res.status(400).json(problem(400, 'Bad Request', 'customerIdとpointは数値の文字列で入力してください'));
    }
    const bulk: FakeSmaregiBulk = {
      requestId: nextRequestId++, contractId: String(res.locals.contractId), callbackUrl: body.callbackUrl,
      customerPoints: rows.map((r) => ({ customerId: String(r.customerId), point: String(r.point) })), completed: false,
    };
    bulks.push(bulk);
    res.json({ requestId: bulk.requestId, callbackUrl: bulk.callbackUrl });
  });
  api.patch('/customers/:id/point', pointUpdate(false));
  api.post('/customers/:id/point/add', pointUpdate(true));
  app.use((req, res) => void res.status(404).json(problem(404, 'Not Found', `${req.method} ${req.path} はありません`)));

  const server = await listen(app, 0);
  const addContract = (contractId: string, opts: { points?: boolean; requireKana?: boolean } = {}) => {
    contracts.set(contractId, { points: opts.points ?? true, requireKana: opts.requireKana ?? false, transactions: new Map(), customers: new Map(), nextTransactionId: 1, nextCustomerId: 1 });
  };
  return {
    url: server.url,
    clientId,
    clientSecret,
    calls,
    apiCalls: (contractId, method) => calls.filter((c) => c.path.startsWith(`/${contractId}/pos/`) && (!method || c.method === method)),
    tokensIssued: (contractId) => issued.get(contractId) ?? 0,
    addContract,
    revokeTokens: () => tokens.clear(),
    putTransaction: (contractId, { details, ...rest }) => {
      const contract = contractOf(contractId);
      const head = rest as FakeFields;
      const id = head.transactionHeadId === undefined || head.transactionHeadId === null ? String(contract.nextTransactionId++) : String(head.transactionHeadId);
      const fields = transactionHead(id, now(), head);
      const record: Record<string, unknown> = { ...fields, details: (details ?? []).map((d, i) => transactionDetail(id, i, d)) };
      // as Smaregi documents: a new transaction with a customer moves their point field by newPoint − spendPoint (a
      // sale's, a ポイント加算 / 減算's), with point the field before and totalPoint after
      const customer = fields.customerId === null ? undefined : contract.customers.get(fields.customerId!);
      if (customer && !contract.transactions.has(id)) {
        record.point = String(customer.point);
        customer.point += Number(fields.newPoint) - Number(fields.spendPoint);
        customer.updatedAt = now();
        record.totalPoint = String(customer.point);
      }
      contract.transactions.set(id, record);
      return record;
    },
    putCustomer: (contractId, { point, ...fields }) => {
      const contract = contractOf(contractId);
      const id = fields.customerId === undefined || fields.customerId === null ? String(contract.nextCustomerId++) : String(fields.customerId);
      const customer = { fields: customerFields(fields), point: point ?? 0, updatedAt: now() };
      contract.customers.set(id, customer);
      return customerOut(id, customer);
    },
    deleteCustomer: (contractId, customerId) => void contractOf(contractId).customers.delete(customerId),
    customer: (contractId, customerId) => {
      const customer = contractOf(contractId).customers.get(customerId);
      return customer ? customerOut(customerId, customer) : null;
    },
    pointOf: (contractId, customerId) => {
      const customer = contractOf(contractId).customers.get(customerId);
      return customer ? forfeit(customer).point : null;
    },
    fail: (failure) => void failures.push({ ...failure, left: failure.times === 'always' ? Infinity : (failure.times ?? 1) }),
    clearFailures: () => void failures.splice(0),
    hold: (match) => {
      let arrived!: () => void;
      let release!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ match, arrived, released });
      return { arrived: arrival, release };
    },
    delay: (match, ms) => void delays.push({ match, ms }),
    bulks: (contractId) => bulks.filter((b) => !contractId || b.contractId === contractId),
    completeBulk: async (requestId, options = {}) => {
      const bulk = bulks.find((b) => b.requestId === Number(requestId));
      if (!bulk || bulk.completed) throw new Error(`fake Smaregi: no pending bulk ${String(requestId)}`);
      bulk.completed = true;
      const contract = contractOf(bulk.contractId);
      const result = bulk.customerPoints.map(({ customerId, point }) => {
        const customer = contract.customers.get(customerId);
        if (!customer) return { customerId, transactionHeadIds: [] };
        const transactionHeadIds = pointTransaction(contract, customerId, customer.point, Number(point));
        Object.assign(customer, { point: Number(point), updatedAt: now() });
        return { customerId, transactionHeadIds };
      });
      if (options.loseCallback) return null;
      const response = await fetch(bulk.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=UTF-8', 'user-agent': 'Smaregi-Platform-Api-Callback' },
        body: JSON.stringify({ requestId: bulk.requestId, result }),
      });
      return response.status;
    },
    sendWebhook: async (url, body, opts) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'smaregi-contract-id': body.contractId,
          'smaregi-event': body.event,
          'smaregi-event-id': opts.eventId ?? randomUUID(),
          'user-agent': 'Smaregi-Platform-Api-Webhook/1.2.4(sandbox)',
          [opts.header]: opts.secret,
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.text() };
    },
    settings(list, extra = {}) {
      for (const c of list) if (!contracts.has(c.contractId)) addContract(c.contractId);
      return {
        SMAREGI_ENV: 'sandbox',
        SMAREGI_CLIENT_ID: clientId,
        SMAREGI_CLIENT_SECRET: clientSecret,
        SMAREGI_WEBHOOK_SECRET: FAKE_SMAREGI_WEBHOOK.secret,
        SMAREGI_WEBHOOK_SECRET_HEADER: FAKE_SMAREGI_WEBHOOK.header,
        SMAREGI_CONTRACTS: JSON.stringify(list.map((c) => ({ stores: {}, createCustomers: true, ...c }))),
        SMAREGI_ID_BASE_URL: server.url,
        SMAREGI_API_BASE_URL: server.url,
        SMAREGI_TIMEOUT_MS: '2000',
        ...extra,
      };
    },
    close: () => server.close(),
  };
}
