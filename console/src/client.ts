import type { TypedDocumentString } from './gql/graphql';
import { currentToken, signOut } from './session';

/** A GraphQL error as the gateway reports it: its message and code (BAD_USER_INPUT, FORBIDDEN, ...). */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface GraphQLBody<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * One typed operation against the gateway: the document's string, its variables, the staff token. The result is
 * typed by the client preset from the operation itself. Any error fails the call with the gateway's message and
 * code; an expired or refused token ends the session.
 */
export async function execute<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<R> {
  const token = currentToken();
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
  });
  const body = (await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }))) as GraphQLBody<R>;
  const first = body.errors?.[0];
  if (first) {
    if (first.extensions?.code === 'UNAUTHENTICATED') signOut();
    throw new GraphQLRequestError(first.message, first.extensions?.code);
  }
  if (!body.data) throw new GraphQLRequestError(`HTTP ${response.status}`, undefined);
  return body.data;
}
