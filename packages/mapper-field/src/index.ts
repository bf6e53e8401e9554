export {
  type Coverage,
  type FieldMapper,
  type FieldMapperConfig,
  fieldMapper,
  fieldMapperConfigSchema,
  readField,
} from './field-mapper.js';
