import type { CartLine } from '../db/schema.js';

/** A user's cart: the cached and journaled value of the `carts` write-behind cache. */
export interface Cart {
  readonly items: readonly CartLine[];
}
