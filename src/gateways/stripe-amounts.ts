/**
 * Stripe expresses amounts in "the smallest currency unit", which matches ISO 4217 minor units for
 * every currency we accept except ISK: Stripe keeps two decimals for it (5 ISK is `500`) and only
 * accepts multiples of 100. See Stripe's "special cases" under supported currencies.
 */
const STRIPE_SCALE: Readonly<Record<string, number>> = { ISK: 100 };

/** Our minor units → Stripe's amount. */
export function toStripeAmount(amountCents: number, currency: string): number {
  return amountCents * (STRIPE_SCALE[currency] ?? 1);
}

/** Stripe's amount → our minor units, or `null` when it is no whole number of them. */
export function fromStripeAmount(amount: number, currency: string): number | null {
  const scale = STRIPE_SCALE[currency] ?? 1;
  return amount % scale === 0 ? amount / scale : null;
}
