export { validateSet, elementValues, type SetValidation, type ValidateSetOptions } from './validate-set.ts';
export { gs1CheckDigit, isValidSscc, ssccProblem } from './sscc.ts';
