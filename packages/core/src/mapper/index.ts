/** The narrow entry point for mapper authors: the contract and nothing of the engine. */
export type { Catalog, StatusDefinition, StatusType } from '../catalog.js';
export type { ValidationIssue } from '../validation-issue.js';
export {
  type CombineInput,
  combineByPlan,
  combineByRank,
  combineUpdates,
  compareObservedAt,
  defineMapper,
  type InBetween,
  inBetweenSchema,
  type MapContext,
  type Mapper,
  type MapperDefinition,
  type MapResult,
  newestPerObject,
  type Observation,
  parseMapperConfig,
  resolveInBetween,
  type Skip,
  type StatusUpdate,
  skip,
  statusUpdateSchema,
} from './define-mapper.js';
