/**
 * What Dockgate hands the writer in send mode: transaction sets as plain element arrays,
 * grouped, with the envelope parties. Control numbers are not here: the writer draws them
 * from a ControlNumberSource (the message store's sequences) when it writes.
 */

/** One segment to send: id and its elements (index 0 = element 01). A composite is a string[]; repeats a string[][]... see below. */
export interface OutboundSegment {
  id: string;
  /**
   * Element values. string = simple element; string[] = composite components;
   * { repeats: [...] } = repeated element. Trailing empty elements are dropped by the writer.
   */
  elements: Array<string | string[] | { repeats: Array<string | string[]> }>;
}

export interface OutboundSet {
  /** ST01, e.g. "940" or "997". */
  id: string;
  /** ST03 implementation convention reference (005010 only), optional. */
  implementation?: string;
  /** Body segments between ST and SE (the writer adds ST and SE). */
  segments: OutboundSegment[];
}

export interface OutboundGroup {
  /** GS01, e.g. "OW" or "FA". */
  functionalId: string;
  /** GS02 application sender's code. */
  senderId: string;
  /** GS03 application receiver's code. */
  receiverId: string;
  /** GS08, e.g. "004010" or "005010X231A1". */
  version: string;
  /** GS07, default "X". */
  agency?: string;
  sets: OutboundSet[];
}

export interface OutboundParty {
  /** ISA05 / ISA07 */
  qualifier: string;
  /** ISA06 / ISA08 (unpadded; the writer pads to 15) */
  id: string;
}

export interface OutboundInterchange {
  sender: OutboundParty;
  receiver: OutboundParty;
  /** ISA12, e.g. "00401" or "00501". */
  version: string;
  /** ISA14: ask the receiver for a TA1. Default false. */
  ackRequested?: boolean;
  /** ISA15: "P" or "T". */
  usage: 'P' | 'T' | 'I';
  groups: OutboundGroup[];
  /** Interchange-level segments written before the groups (e.g. a TA1 we answer with). */
  service?: OutboundSegment[];
}

/** Control-number kinds sequenced per partner. */
export type ControlNumberKind = 'ISA13' | 'GS06' | 'ST02';

/** Hands out control numbers that are never reused, across restarts and concurrent callers. */
export interface ControlNumberSource {
  next(partner: string, kind: ControlNumberKind): number;
}
