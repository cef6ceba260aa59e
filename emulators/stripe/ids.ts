import { type Random } from './random';

/** Stripe-looking ids: a type prefix and base62 characters (24 for most objects, 14 for customers). */
export class Ids {
  constructor(private readonly random: Random) {}

  next(prefix: string, length = 24): string {
    return `${prefix}_${this.random.token(length)}`;
  }
}
