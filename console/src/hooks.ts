import { useCallback, useEffect, useRef, useState } from 'react';
import { execute, GraphQLRequestError } from './client';
import type { TypedDocumentString } from './gql/graphql';

/** What a failed call threw, as the gateway's error (a network failure or a bug becomes one without a code). */
function asRequestError(failure: unknown): GraphQLRequestError {
  return failure instanceof GraphQLRequestError ? failure : new GraphQLRequestError(String(failure), undefined);
}

export interface QueryState<R> {
  data: R | undefined;
  error: GraphQLRequestError | undefined;
  loading: boolean;
  refetch: () => Promise<void>;
}

/**
 * Runs a typed query when its variables change (compared by value), and again on refetch() or every `pollMs`
 * while `poll(data)` says so. `skip` holds it back (e.g. until a search has a term).
 */
export function useQuery<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  options: { skip?: boolean; pollMs?: number; poll?: (data: R) => boolean } = {},
): QueryState<R> {
  const [data, setData] = useState<R>();
  const [error, setError] = useState<GraphQLRequestError>();
  const [loading, setLoading] = useState(!options.skip);
  const key = JSON.stringify(variables);
  const latest = useRef(0);
  const run = useCallback(async () => {
    const call = ++latest.current;
    setLoading(true);
    try {
      const result = await execute(document, JSON.parse(key) as V);
      if (call === latest.current) {
        setData(result);
        setError(undefined);
      }
    } catch (failure) {
      if (call === latest.current) setError(asRequestError(failure));
    } finally {
      if (call === latest.current) setLoading(false);
    }
  }, [document, key]);
  useEffect(() => {
    if (!options.skip) void run();
  }, [run, options.skip]);
  const { pollMs } = options;
  const poll = useRef(options.poll);
  poll.current = options.poll;
  // after each answer, or each failure (a network blip must not stop a progress bar for good), while poll() says so
  useEffect(() => {
    if (!pollMs || loading || !data || !poll.current?.(data)) return;
    const timer = setTimeout(() => void run(), error ? pollMs * 3 : pollMs);
    return () => clearTimeout(timer);
  }, [data, error, loading, pollMs, run]);
  return { data, error, loading, refetch: run };
}

/** A mutation's state: run it, see it pending, its error (with the gateway's code) or its result. */
export function useMutation<R, V>(document: TypedDocumentString<R, V>): {
  run: (variables: V) => Promise<R | undefined>;
  pending: boolean;
  error: GraphQLRequestError | undefined;
  result: R | undefined;
  reset: () => void;
} {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<GraphQLRequestError>();
  const [result, setResult] = useState<R>();
  const run = useCallback(
    async (variables: V) => {
      setPending(true);
      setError(undefined);
      try {
        const answer = await execute(document, variables);
        setResult(answer);
        return answer;
      } catch (failure) {
        setError(asRequestError(failure));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [document],
  );
  return { run, pending, error, result, reset: () => (setError(undefined), setResult(undefined)) };
}
