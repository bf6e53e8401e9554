export type { InBetween } from '@statuskit/core/mapper';
export {
  type ChargebeeMapper,
  type ChargebeeMapperConfig,
  type ChargebeePlan,
  type ChargebeeSubscription,
  chargebeeInputSchema,
  chargebeeMapper,
  chargebeeMapperConfigSchema,
} from './chargebee-mapper.js';
