export type { InBetween } from '@statuskit/core/mapper';
export {
  type StripeMapper,
  type StripeMapperConfig,
  type StripePlan,
  type StripeSubscription,
  stripeInputSchema,
  stripeMapper,
  stripeMapperConfigSchema,
} from './stripe-mapper.js';
