export { canonicalFields, formatProblem, loadMappings, type MappingCheck, type MappingProblem, type Mappings } from './load.ts';
export * from './schema.ts';
