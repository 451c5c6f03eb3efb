/**
 * Records the reader yields: envelope headers and transaction sets with their context.
 */
import type { Separators } from './dialect.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { Segment } from './segment.ts';

export interface InterchangeHeader {
  isa: Segment;
  separators: Separators;
  /** 0-based index of the interchange in the file. */
  index: number;
  /** ISA13 as written (padding kept). */
  control: string;
  senderQualifier: string;
  /** ISA06 trimmed. */
  senderId: string;
  receiverQualifier: string;
  /** ISA08 trimmed. */
  receiverId: string;
  /** ISA09 YYMMDD */
  date: string;
  /** ISA10 HHMM */
  time: string;
  /** ISA12 */
  version: string;
  /** ISA14 = 1 */
  ackRequested: boolean;
  /** ISA15: P production, T test, I information */
  usage: string;
}

export interface GroupHeader {
  gs: Segment;
  /** 0-based index of the group within its interchange. */
  index: number;
  /** GS01 */
  functionalId: string;
  /** GS02 */
  senderId: string;
  /** GS03 */
  receiverId: string;
  /** GS06 */
  control: string;
  /** GS07 */
  agency: string;
  /** GS08 */
  version: string;
}

export interface TransactionSet {
  /** null when the set appeared without an ISA envelope. */
  interchange: InterchangeHeader | null;
  /** null when the set appeared without a GS envelope. */
  group: GroupHeader | null;
  /** 0-based index of the set within its group (or file when unenveloped). */
  index: number;
  /** ST01 */
  id: string;
  /** ST02 */
  control: string;
  /** ST03 implementation convention reference (005010), '' when absent. */
  implementation: string;
  /** ST .. SE inclusive (SE absent when the trailer is missing). */
  segments: Segment[];
  /** Envelope diagnostics for this set (SE count / control number, ST02 uniqueness, ...). */
  diagnostics: Diagnostic[];
}

export interface GroupTrailer {
  group: GroupHeader;
  ge: Segment | null;
  /** Number of sets actually read in the group. */
  setCount: number;
  diagnostics: Diagnostic[];
}

export interface InterchangeTrailer {
  interchange: InterchangeHeader;
  iea: Segment | null;
  /** Number of groups actually read. */
  groupCount: number;
  diagnostics: Diagnostic[];
}

/** What the reader yields, in file order. */
export type ReaderEvent =
  | { type: 'interchange-start'; interchange: InterchangeHeader; diagnostics: Diagnostic[] }
  /** ISB, ISE and other interchange service segments between ISA and the first GS. */
  | { type: 'service-segment'; interchange: InterchangeHeader; segment: Segment }
  | { type: 'ta1'; interchange: InterchangeHeader | null; segment: Segment }
  | { type: 'group-start'; group: GroupHeader; interchange: InterchangeHeader | null; diagnostics: Diagnostic[] }
  | { type: 'set'; set: TransactionSet }
  | { type: 'group-end'; trailer: GroupTrailer }
  | { type: 'interchange-end'; trailer: InterchangeTrailer }
  /** File-level diagnostics (BOM, trailing data, not X12, ...). */
  | { type: 'diagnostic'; diagnostic: Diagnostic };
