export { buildAcknowledgements, type AckOptions, type AckPlan } from './build.ts';
export { meaning, parseAcknowledgement, parseTa1, summarizeAck, type AckReport, type AckSetReport, type Ta1Report } from './parse.ts';
