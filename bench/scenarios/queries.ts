/** The operations the bench sends, as a frontend or a register would. */

/** Served by the members subgraph alone. */
export const LOOKUP = `query Lookup($id: ID!) {
  member(id: $id) { id memberCode displayName status registeredVia }
}`;

/** members, then points for the same entity. */
export const POINTS_HOP = `query PointsHop($id: ID!) {
  member(id: $id) { id displayName points { balance pendingBalance lifetimeEarned } }
}`;

/** members -> purchases -> (store from purchases, pointsEarned from points) for every purchase on the page. */
export const FANOUT = `query Fanout($id: ID!, $first: Int!) {
  member(id: $id) {
    id
    displayName
    purchases(first: $first) {
      nodes { id amountPaid occurredAt store { id name } pointsEarned }
      hasNextPage
    }
  }
}`;

/** The first page of a member's history, as the member page shows it. */
export const HISTORY_PAGE = `query History($id: ID!) {
  member(id: $id) {
    purchases(first: 20) {
      nodes { id occurredAt amountPaid status store { name } pointsEarned }
      endCursor
      hasNextPage
    }
  }
}`;

/** What a register sends at checkout, and reads back in the same response. */
export const RECORD_PURCHASE = `mutation RecordPurchase($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) { id status amountPaid pointsEarned member { id points { balance } } }
}`;
