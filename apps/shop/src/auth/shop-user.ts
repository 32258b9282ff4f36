/** A signed-in user, as the auth guard puts it on the request. */
export interface ShopUser {
  readonly id: number;
  readonly name: string;
  readonly role: 'shopper' | 'admin';
}

/** The request as the shop's guards and `@HttpCache` callbacks see it. */
export interface ShopRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly params: Record<string, string | undefined>;
  user?: ShopUser;
}
