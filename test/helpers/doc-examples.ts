/**
 * The executed examples of a document (docs/pos-integration.md, docs/online-redemption.md): a fenced block
 * labelled ```graphql <name>``` or ```json <name>``` is an example, ```json <name>.variables``` its variables (or
 * `{"$from": "<other>.variables"}`) and ```json <name>.response``` what it must answer, run in document order.
 */
export interface Example {
  name: string;
  kind: 'graphql' | 'json';
  /** The GraphQL document, or the JSON body of a json example. */
  body: string;
  variables: unknown;
  response: unknown;
}

export function examplesOf(markdown: string): Example[] {
  const blocks = new Map<string, { kind: 'graphql' | 'json'; body: string }>();
  const order: string[] = [];
  for (const match of markdown.matchAll(/```(graphql|json) ([\w.]+)\n([\s\S]*?)```/g)) {
    const [, kind, label, body] = match as unknown as [string, 'graphql' | 'json', string, string];
    blocks.set(label, { kind, body });
    if (!label.includes('.')) order.push(label);
  }
  return order.map((name) => {
    const variables = JSON.parse(blocks.get(`${name}.variables`)?.body ?? '{}') as { $from?: string };
    return {
      name,
      kind: blocks.get(name)!.kind,
      body: blocks.get(name)!.body,
      variables: variables.$from ? JSON.parse(blocks.get(variables.$from)!.body) : variables,
      response: JSON.parse(blocks.get(`${name}.response`)?.body ?? 'null'),
    };
  });
}

/** Replaces $NAME placeholders in a value; unknown names are captured from `actual` the first time they appear. */
export function resolve(expected: unknown, actual: unknown, values: Record<string, string>): unknown {
  if (typeof expected === 'string' && /^\$[A-Z_]+$/.test(expected)) {
    if (expected === '$ANY') return actual;
    if (!(expected in values) && typeof actual === 'string') values[expected] = actual;
    return values[expected];
  }
  if (Array.isArray(expected)) return expected.map((item, i) => resolve(item, (actual as unknown[] | undefined)?.[i], values));
  if (expected && typeof expected === 'object') {
    return Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, resolve(v, (actual as Record<string, unknown> | undefined)?.[k], values)]));
  }
  return expected;
}
