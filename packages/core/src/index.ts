export {
  type Catalog,
  type CatalogCheck,
  type CatalogInput,
  catalogInputSchema,
  checkCatalog,
  defaultCatalog,
  defineCatalog,
  normalizeStatus,
  STATUS_TYPES,
  type StatusDefinition,
  type StatusDefinitionInput,
  type StatusType,
  statusDefinitionSchema,
} from './catalog.js';
export {
  type Account,
  type Classification,
  type ClassifiedType,
  classify,
  classifyStatus,
  describeClassification,
  type KnownClassification,
  type UnknownClassification,
  type UnknownReason,
} from './classify.js';
export {
  type BuiltInCode,
  decide,
  type Eligibility,
  type EligibilityEvaluator,
  type EligibilityReason,
  type EvaluateOptions,
  evaluate,
  evaluateAsync,
  type RuleError,
  ruleFacts,
} from './eligibility.js';
export {
  ATTRIBUTES_LIMITS,
  CONNECTOR_STATE_LIMITS,
  DOCUMENT_LIMITS,
  INPUT_LIMITS,
  type JsonLimits,
  jsonProblems,
  textProblem,
  timestampProblem,
} from './input-limits.js';
export * from './mapper/index.js';
export {
  type CompiledEvaluator,
  type CompiledRun,
  type ContainedRun,
  compileRules,
} from './rules/compile-rules.js';
export {
  type ContainedFiring,
  type EngineEvaluator,
  engineEvaluator,
  type RuleInput,
} from './rules/engine-evaluator.js';
export {
  type AllConditions,
  type AnyConditions,
  type BooleanCondition,
  DECORATOR_NAMES,
  type EligibilityRule,
  FACT_NAMES,
  type FactCondition,
  type FactName,
  type FactReference,
  type FailedRule,
  type FiredRule,
  type NotCondition,
  OPERATOR_NAMES,
  type RuleCondition,
  type RuleFacts,
} from './rules/rule-types.js';
export { parseRules, type RulesCheck, validateRules } from './rules/validate-rules.js';
export {
  type HealthSummary,
  HealthTally,
  type RuleErrorCount,
  RuleErrorTally,
  summarize,
  UNKNOWN_VALUE_LIMIT,
  type UnknownValueCount,
} from './summarize.js';
export {
  formatPath,
  issuesFromZod,
  StatuskitValidationError,
  type ValidationIssue,
} from './validation-issue.js';
