export { canonicalFields, formatProblem, loadMappings, type MappingCheck, type MappingProblem, type MappingProblemCode, type Mappings } from './load.ts';
export * from './schema.ts';
