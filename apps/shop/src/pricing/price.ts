/** A product's current price. Money is integer cents: no rounding anywhere. */
export interface Price {
  readonly amountCents: number;
  readonly currency: string;
}
