import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { z } from 'zod';
import { actorOf, requireAdmin, requireStaff, type Caller } from '@omo/lib/core/auth';
import { NotFoundError } from '@omo/lib/core/errors';
import { HOUR_MS } from '@omo/lib/core/time';
import { objectIdSchema, parseInput } from '@omo/lib/core/validation';
import { partnerEventTopic, type PartnerEventTopic } from '@omo/lib/events/partner-events';
import { followedSince, type PartnerEventModels, type WebhookSubscriptionDoc } from './partner-events.models';
import { isLoopbackHostname } from '@omo/lib/core/loopback';
import { hostOf, INTERNAL_HOST_MESSAGE, isInternalHost } from './webhook-url-policy';

/** How long a rotated-out secret still signs deliveries beside the new one, for the partner to switch over. */
export const PREVIOUS_SECRET_MS = 24 * HOUR_MS;

/** A subscription as staff see it (never its secret). */
export interface WebhookSubscriptionView {
  id: string;
  url: string;
  topics: TopicEnum[];
  description: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A subscription and its signing secret, answered once: when made and when the secret is rotated. */
export interface IssuedWebhookSubscription {
  subscription: WebhookSubscriptionView;
  secret: string;
}

/** GraphQL's name of a topic: POINTS_CHANGED for points.changed. */
export type TopicEnum<T extends string = PartnerEventTopic> = T extends `${infer A}.${infer B}` ? `${Uppercase<A>}_${Uppercase<B>}` : never;
export const topicOfEnum = (value: string): string => value.toLowerCase().replace('_', '.');
export const enumOfTopic = (topic: PartnerEventTopic): TopicEnum => topic.toUpperCase().replace('.', '_') as TopicEnum;

/**
 * ADMIN's webhook subscriptions (STAFF may list them). A URL must be https; plain http only to loopback outside
 * production (a test receiver, a developer's machine), and never with credentials in it. In production its host
 * may not be an internal address (webhook-url-policy.ts), so a subscription cannot make us call our own network.
 */
export class WebhookSubscriptionService {
  private readonly input;

  constructor(
    private readonly models: PartnerEventModels,
    private readonly clock: () => Date,
    production: boolean,
  ) {
    const url = z
      .url({ message: 'must be a URL' })
      .max(2000)
      .refine((value) => {
        // zod runs this after a failed url check too: the first issue (not a URL) is the one reported
        if (!URL.canParse(value)) return false;
        const parsed = new URL(value);
        if (parsed.username || parsed.password) return false;
        return parsed.protocol === 'https:' || (!production && parsed.protocol === 'http:' && isLoopbackHostname(parsed.hostname));
      }, production ? 'must be an https URL without credentials' : 'must be an https URL (http only to loopback) without credentials')
      // names are judged again when sent, once resolved (WebhookDispatcher)
      .refine((value) => !production || !URL.canParse(value) || !isInternalHost(hostOf(new URL(value))), INTERNAL_HOST_MESSAGE);
    const topics = z
      .array(z.string().transform(topicOfEnum).pipe(partnerEventTopic))
      .min(1, 'must name at least one topic')
      .transform((list) => [...new Set(list)]);
    const description = z.string().trim().max(500).nullish().transform((value) => value || null);
    this.input = {
      create: z.object({ url, topics, description }),
      update: z.object({ id: objectIdSchema(), url: url.optional(), topics: topics.optional(), description }),
      id: objectIdSchema(),
    };
  }

  async list(caller: Caller): Promise<WebhookSubscriptionView[]> {
    requireStaff(caller);
    const found = await this.models.subscriptions.find().sort({ createdAt: -1 }).lean<WebhookSubscriptionDoc[]>().exec();
    return found.map(view);
  }

  async create(caller: Caller, request: { url: string; topics: string[]; description?: string | null }): Promise<IssuedWebhookSubscription> {
    const admin = requireAdmin(caller);
    const { url, topics, description } = parseInput(this.input.create, request);
    const now = this.clock();
    const doc: WebhookSubscriptionDoc = {
      _id: new Types.ObjectId(),
      url,
      topics,
      followedSince: topics.map((topic) => ({ topic, since: now })),
      description,
      active: true,
      secret: newSecret(),
      previousSecret: null,
      previousSecretUntil: null,
      createdAt: now,
      updatedAt: now,
      createdBy: actorOf(admin),
    };
    await this.models.subscriptions.create(doc);
    return { subscription: view(doc), secret: doc.secret };
  }

  async update(caller: Caller, request: { id: string; url?: string | null; topics?: string[] | null; description?: string | null }): Promise<WebhookSubscriptionView> {
    requireAdmin(caller);
    const { id, url, topics, description } = parseInput(this.input.update, {
      ...request,
      url: request.url ?? undefined,
      topics: request.topics ?? undefined,
    });
    const now = this.clock();
    const set: Partial<WebhookSubscriptionDoc> = { updatedAt: now };
    if (url) set.url = url;
    if (topics) {
      const existing = await this.find(id);
      set.topics = topics;
      // a topic kept keeps its date; one added is followed from now, so publishers may not have heard of it yet
      set.followedSince = topics.map((topic) => ({ topic, since: existing.topics.includes(topic) ? followedSince(existing, topic) : now }));
    }
    if (request.description !== undefined) set.description = description;
    return view(await this.change(id, set));
  }

  /** Stops deliveries for good: what is still pending ends FAILED (its lane runner finds the subscription off). */
  async disable(caller: Caller, id: string): Promise<WebhookSubscriptionView> {
    requireAdmin(caller);
    return view(await this.change(parseInput(this.input.id, id), { active: false, updatedAt: this.clock() }));
  }

  /** A new secret, answered once; the old one still signs beside it for PREVIOUS_SECRET_MS. */
  async rotate(caller: Caller, id: string): Promise<IssuedWebhookSubscription> {
    requireAdmin(caller);
    const existing = await this.find(parseInput(this.input.id, id));
    const now = this.clock();
    const secret = newSecret();
    const changed = await this.change(existing._id.toHexString(), {
      secret,
      previousSecret: existing.secret,
      previousSecretUntil: new Date(now.getTime() + PREVIOUS_SECRET_MS),
      updatedAt: now,
    });
    return { subscription: view(changed), secret };
  }

  async find(id: string): Promise<WebhookSubscriptionDoc> {
    const found = Types.ObjectId.isValid(id) ? await this.models.subscriptions.findById(id).lean<WebhookSubscriptionDoc>().exec() : null;
    if (!found) throw new NotFoundError('Webhook subscription');
    return found;
  }

  private async change(id: string, set: Partial<WebhookSubscriptionDoc>): Promise<WebhookSubscriptionDoc> {
    const changed = await this.models.subscriptions.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean<WebhookSubscriptionDoc>().exec();
    if (!changed) throw new NotFoundError('Webhook subscription');
    return changed;
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function view(doc: WebhookSubscriptionDoc): WebhookSubscriptionView {
  return {
    id: doc._id.toHexString(),
    url: doc.url,
    topics: doc.topics.map(enumOfTopic),
    description: doc.description,
    active: doc.active,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}
