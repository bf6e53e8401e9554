export {
  type ChargebeeMapper,
  type ChargebeeMapperConfig,
  type ChargebeePlan,
  type ChargebeeSubscription,
  chargebeeInputSchema,
  chargebeeMapper,
  chargebeeMapperConfigSchema,
  type InBetween,
} from './chargebee-mapper.js';
