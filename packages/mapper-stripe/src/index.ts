export {
  type InBetween,
  type StripeMapper,
  type StripeMapperConfig,
  type StripePlan,
  type StripeSubscription,
  stripeInputSchema,
  stripeMapper,
  stripeMapperConfigSchema,
} from './stripe-mapper.js';
