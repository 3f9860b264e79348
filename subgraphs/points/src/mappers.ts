/**
 * The parents the resolvers receive where they are not a model's documents (codegen.ts maps the GraphQL types to
 * them): kept apart from the resolvers so the generated types import no resolver.
 */
/** A reference to a member owned by the members service: the points service only knows the id. */
export interface MemberRef {
  id: string;
}

/** A reference to a purchase owned by the purchases service. */
export interface PurchaseRef {
  id: string;
}
