import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Connection } from 'mongoose';
import { outboxesOn } from '@omo/lib/outbox/outbox';

/**
 * What the whole process shares: Node's own metrics and the third-party clients' calls. Every service's /metrics
 * shows it; in `npm start`, where all five share one process, each port shows the same process metrics.
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

/** A gauge computed when /metrics is read, from a cheap indexed query of the service's own data. */
export interface ScrapeGauge {
  name: string;
  help: string;
  labelNames?: string[];
  read(): Promise<{ labels?: Record<string, string>; value: number }[]>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Events counted by what they are (`key`) and their outcome, and timed by what they are. */
export interface OutcomeMetrics {
  record(key: string, outcome: string, seconds: number): void;
}

/** A counter `<total>` by `key` and outcome, and a histogram `<seconds>` by `key`, on `registry`. */
export function outcomeMetrics(
  registry: Registry,
  key: string,
  names: { total: { name: string; help: string }; seconds: { name: string; help: string; buckets?: number[] } },
): OutcomeMetrics {
  const total = new Counter({ ...names.total, labelNames: [key, 'outcome'], registers: [registry] });
  const seconds = new Histogram({ buckets: SECONDS, ...names.seconds, labelNames: [key], registers: [registry] });
  return {
    record(value, outcome, duration) {
      total.inc({ [key]: value, outcome });
      seconds.observe({ [key]: value }, duration);
    },
  };
}
/** Distinct combinations of several root fields kept per service; more are counted as `other`. */
const MAX_COMBINATIONS = 300;
const MAX_LABEL_LENGTH = 100;

/** One service's metrics (a subgraph's or the gateway's), on a registry of its own, served at its /metrics. */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly combinations = new Set<string>();
  private readonly refreshers: { name: string; refresh: () => Promise<void> }[] = [];
  private readonly refreshTimeoutMs: number;

  readonly requests = outcomeMetrics(this.registry, 'operation', {
    total: { name: 'omo_graphql_requests_total', help: 'GraphQL requests by operation and outcome (ok, or the first error code)' },
    seconds: { name: 'omo_graphql_request_duration_seconds', help: 'GraphQL request time from receipt to response, by operation' },
  });
  readonly httpResponses = new Counter({
    name: 'omo_http_responses_total',
    help: 'Responses of /graphql by HTTP status, including those refused before GraphQL (authentication, rate limit, body)',
    labelNames: ['status'],
    registers: [this.registry],
  });
  private readonly refreshErrors = new Counter({
    name: 'omo_metrics_refresh_errors_total',
    help: 'Scrape-time gauge queries that failed or did not answer in time; their gauges kept their last value',
    labelNames: ['gauge'],
    registers: [this.registry],
  });

  /** `refreshTimeoutMs`: how long a scrape waits for each scrape-time gauge's query (3 s, within Prometheus's 10 s). */
  constructor(options: { connection?: Connection; gauges?: ScrapeGauge[]; refreshTimeoutMs?: number } = {}) {
    this.refreshTimeoutMs = options.refreshTimeoutMs ?? 3_000;
    if (options.connection) {
      this.observeDatabase(options.connection);
      this.outboxGauges(options.connection);
    }
    for (const gauge of options.gauges ?? []) this.scrapeGauge(gauge);
  }

  /**
   * The label of an operation: its root fields' names, sorted and joined by commas. The client chooses the
   * operation's name, but the schema bounds its root fields, so a single field is always its own label; only
   * combinations of several, which a client can multiply, share MAX_COMBINATIONS labels and then count as `other`.
   */
  operationLabel(rootFields: readonly string[]): string {
    const fields = [...new Set(rootFields)].sort();
    const label = fields.join(',').slice(0, MAX_LABEL_LENGTH);
    if (fields.length <= 1 || this.combinations.has(label)) return label;
    if (this.combinations.size >= MAX_COMBINATIONS) return 'other';
    this.combinations.add(label);
    return label;
  }

  /** The text Prometheus reads: this service's metrics, then the process's. */
  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.all(this.refreshers.map((refresher) => this.refresh(refresher)));
    const merged = Registry.merge([this.registry, processRegistry]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }

  /**
   * One gauge's query, bounded in time: a failing or hanging one (the database unreachable) leaves its gauge at
   * its last value and is counted, instead of failing the whole scrape and hiding every other metric with it.
   */
  private async refresh(refresher: { name: string; refresh: () => Promise<void> }): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), this.refreshTimeoutMs);
    });
    try {
      await Promise.race([refresher.refresh(), timeout]);
    } catch {
      this.refreshErrors.inc({ gauge: refresher.name });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The MongoDB driver's command monitoring (the connection is opened with `monitorCommands`). */
  private observeDatabase(connection: Connection): void {
    const commands = outcomeMetrics(this.registry, 'command', {
      total: { name: 'omo_db_commands_total', help: 'MongoDB commands sent by this service, by command and outcome (ok, error)' },
      seconds: { name: 'omo_db_command_duration_seconds', help: 'MongoDB command round-trip time, by command' },
    });
    const client = connection.getClient();
    client.on('commandSucceeded', (event) => commands.record(event.commandName, 'ok', event.duration / 1000));
    client.on('commandFailed', (event) => commands.record(event.commandName, 'error', event.duration / 1000));
  }

  private outboxGauges(connection: Connection): void {
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['outbox'], registers: [this.registry] });
    const pending = gauge('omo_outbox_pending_items', 'Outbox items not done yet, deferred ones included');
    const failing = gauge('omo_outbox_failing_items', 'Outbox items not done whose last attempt failed');
    const oldest = gauge('omo_outbox_oldest_due_seconds', 'How long the outbox item due first has been due (0: none due)');
    this.refreshers.push({
      name: 'omo_outbox',
      refresh: async () => {
        for (const outbox of outboxesOn(connection)) {
          const backlog = await outbox.backlog();
          pending.set({ outbox: outbox.name }, backlog.pending);
          failing.set({ outbox: outbox.name }, backlog.failing);
          oldest.set({ outbox: outbox.name }, backlog.oldestDueSeconds);
        }
      },
    });
  }

  private scrapeGauge(definition: ScrapeGauge): void {
    const gauge = new Gauge({ name: definition.name, help: definition.help, labelNames: definition.labelNames ?? [], registers: [this.registry] });
    this.refreshers.push({
      name: definition.name,
      refresh: async () => {
        const values = await definition.read();
        gauge.reset();
        for (const { labels, value } of values) gauge.set(labels ?? {}, value);
      },
    });
  }
}
