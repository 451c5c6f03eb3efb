/**
 * What the X12 standard says of every file in ../shared/corpus/x12, written from the files,
 * the notes in SOURCES.tsv and the standard (X12.5/X12.6 envelopes, the 004010/005010 set
 * tables) — not from the parser's output. `firstError` is the first error in file order,
 * leaving out the set-level summary st.segments-in-error that accompanies segment errors.
 */
import type { DiagnosticCode } from '../../src/x12/diagnostics.ts';

export interface Expectation {
  valid: boolean;
  firstError?: DiagnosticCode;
  alsoExpect?: DiagnosticCode[];
  why: string;
}

export const EXPECTATIONS: Record<string, Expectation> = {
  // ---- 856 ----
  '856/ediengine__856.Crossdock.OK.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.check-digit'],
    why: 'structurally fine S/O/P/I 856, but every MAN*GM SSCC (e.g. 00000715670002152360) fails the GS1 mod-10 check digit (expected 3, found 0)',
  },
  '856/ediengine__NonEdi.edi': { valid: false, firstError: 'file.not-x12', why: 'base64 text with no ISA and no ST: not X12 at all' },
  '856/gozer__asn856.txt': {
    valid: false,
    firstError: 'isa.control-number-mismatch',
    why: 'ISA13 000003438 (borrowed ISA) vs IEA02 000000049; the 004060 set itself is validated against 004010 (fallback) and is clean',
  },
  '856/nodex12__856.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.too-many-repetitions'],
    why: "ISA12 00406 makes ISA11 '-' the repetition separator, so REF02 999999-001 and N403 31139-0020 are two repetitions of non-repeating elements",
  },
  '856/stupidedi__1.edi': {
    valid: true,
    why: 'version 002001 has no schema and no lower version: envelope checks only (clean) with st.unsupported; the unpadded ISA is a warning',
  },
  '856/stupidedi__2.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.invalid-character', 'st.segment-count-mismatch'],
    why: "MEA*PD*G: 004010 MEA02 is fine, but the N1/N3/N4 lines end with '~' + blank line while '$' is the terminator, so one N1 swallows N3/N4 (control characters, too many elements) and SE01 is off",
  },
  '856/x12types__004060_856.edi': { valid: true, why: 'same 1 EDI Source 856 with IEA02 fixed to ISA13; 004060 validated against 004010 (info only)' },
  '856/x12types__test_856.rs__test_856_2.edi': {
    valid: false,
    firstError: 'gs.functional-id-mismatch',
    alsoExpect: ['gs.set-count-mismatch', 'element.check-digit'],
    why: 'an 856 travels under GS01 SH, this group says IN; GE01 says 2 sets for 1; a MAN*GM SSCC has a wrong check digit',
  },
  '856/x12types__test_856.rs__test_parse_856.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.check-digit', 'st.segment-count-mismatch'],
    why: 'synthetic SSCC in MAN*GM fails the check digit; SE01=36 for 18 segments',
  },
  // ---- 940 ----
  '940/ediengine__940.2.OK.edi': { valid: true, why: 'minimal but complete 940: W05, W66, LX/W01 with N9s' },
  '940/ediengine__940.OK.edi': { valid: true, why: 'complete 940; GS07=T is a legal responsible agency code' },
  '940/ediengine__940.W05.Only.edi': {
    valid: false,
    firstError: 'segment.mandatory-missing',
    why: 'the 004010 940 requires the LX (0300) / W01 (0310) detail loops',
  },
  '940/ediengine__940_Failed_SE01.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.mandatory-missing', 'st.segment-count-mismatch'],
    why: 'W01 elements shifted one position left (W0101 empty, UOM 1 char), and SE01 says 12 for 9 segments',
  },
  '940/ediengine__AckTest.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.mandatory-missing'],
    why: 'the second 940 has N9 with an empty N901 (mandatory qualifier); the other two sets are clean',
  },
  '940/ediengine__ControlNumbersMismatch.edi': {
    valid: false,
    firstError: 'st.control-number-mismatch',
    alsoExpect: ['gs.control-number-mismatch', 'isa.control-number-mismatch'],
    why: 'SE02 0002 vs ST02 0001, GE02 3315 vs GS06 3314, IEA02 000003439 vs ISA13 000003438',
  },
  '940/ediengine__MultipleInterchangesAndGroups.edi': {
    valid: true,
    why: 'two interchanges of several groups; IEA02 3438 unpadded equals ISA13 000003438 as a number',
  },
  '940/ediengine__WrongGroupsAndTranCount.edi': {
    valid: false,
    firstError: 'gs.set-count-mismatch',
    alsoExpect: ['isa.group-count-mismatch'],
    why: 'GE01 says 2 sets for 1, IEA01 says 2 groups for 1',
  },
  '940/x12types__test_940.rs__test_940_1.edi': {
    valid: false,
    firstError: 'gs.control-number-mismatch',
    alsoExpect: ['isa.control-number-mismatch'],
    why: "GE02 575103 vs GS06 3317; IEA02 '3317     ' vs ISA13 000003438",
  },
  '940/x12types__test_940.rs__test_940_2.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.too-long', 'element.conditional-missing'],
    why: 'N402 holds 3-digit Chinese province codes (state code is ID 2/2); G61 has a communication qualifier without its number (P0304)',
  },
  '940/x12types__test_940.rs__test_940_3.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.invalid-character'],
    why: 'two W01 segments lack their terminator, so the line break and the next line run into W0115',
  },
  '940/x12types__test_940.rs__test_940_4.edi': {
    valid: false,
    firstError: 'isa.separator-invalid',
    why: "ISA16 is missing: '~' lands in ISA16 and the line break becomes the terminator, while every segment ends '~'+LF (ambiguous delimiters)",
  },
  '940/x12types__test_940.rs__test_940_5.edi': {
    valid: false,
    firstError: 'isa.separator-invalid',
    alsoExpect: ['segment.mandatory-missing'],
    why: 'same missing ISA16 as _4; the cancel order also has no LX/W01 loop, which the 004010 940 requires',
  },
  '940/x12types__test_940.rs__test_940_invalid_isa_missing_fields.edi': {
    valid: false,
    firstError: 'isa.truncated',
    why: 'the ISA stops after 10 elements',
  },
  '940/x12types__test_940.rs__test_940_invalid_isa_no_segment_terminator.edi': {
    valid: false,
    firstError: 'isa.separator-invalid',
    why: 'a line break right after the 16th element separator: ISA16 is a line break and there is no segment terminator',
  },
  '940/x12types__test_940.rs__test_940_invalid_isa_wrong_element_separator.edi': {
    valid: false,
    firstError: 'isa.truncated',
    why: "'|' replaces one '*' inside the ISA, so only 15 element separators precede the terminator",
  },
  // ---- 944 / 945 ----
  '944/nodex12edi__944.edi': {
    valid: false,
    firstError: 'isa.field-invalid',
    why: "ISA11 'X' with ISA12 00401: before 00402 ISA11 is the standards identifier and must be 'U'",
  },
  '945/x12types___945_test.rs__test_945_parse_1.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.conditional-missing', 'element.too-short', 'st.segment-count-mismatch'],
    why: 'N1*SF***CHI has neither name nor id qualifier (R0203, P0304), W10*1 is shorter than the 2-character unit load option code, SE01=12 for 16 segments',
  },
  '945/x12types___945_test.rs__test_945_parse_2.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.conditional-missing', 'st.segment-count-mismatch'],
    why: 'same set as _1 with sender and receiver swapped',
  },
  // ---- 997 ----
  '997/pyx12__834_lui_id.997.base': { valid: true, why: 'well-formed 997 (AK5*A, AK9*A*1*1*1)' },
  '997/pyx12__835_simple.997.base': { valid: true, why: 'well-formed 997; the TA1 after GE is reported (ta1.received) but unambiguous' },
  '997/pyx12__bad_2010AA_bug.997.base': { valid: true, why: 'a well-formed 997 that reports a rejection' },
  '997/pyx12__bad_elements.997.base': { valid: true, why: 'a well-formed 997 that reports a rejection (AK5*R*4*5)' },
  '997/pyx12__bad_header_looping.997.base': { valid: true, why: 'a well-formed 997 that reports a rejection' },
  '997/pyx12__blank1.997.base': { valid: true, why: 'a well-formed 997 that reports a rejection' },
  '997/pyx12__ele.997.base': { valid: true, why: 'well-formed 997 with a TA1 after GE' },
  '997/pyx12__explicit_missing.997.base': { valid: true, why: 'well-formed 997 (AK9*R*0*0*0*3, no AK2) with a TA1' },
  '997/pyx12__fail_no_IEA.997.base': { valid: true, why: 'the acknowledgement of a file without IEA; this file itself is complete' },
  '997/pyx12__loop_counting.997.base': { valid: true, why: 'well-formed 997 with a TA1' },
  '997/pyx12__loop_counting2.997.base': { valid: true, why: 'well-formed 997 with a TA1' },
  '997/pyx12__mult_isa.997.base': { valid: true, why: 'several well-formed 997 groups' },
  '997/pyx12__mult_trn.997.base': { valid: true, why: 'several well-formed 997 groups' },
  '997/pyx12__ordinal.997.base': { valid: true, why: 'well-formed 997' },
  '997/pyx12__per_repeat.997.base': { valid: true, why: 'well-formed 997' },
  '997/pyx12__repeat_init_seg.997.base': { valid: true, why: 'well-formed 997' },
  '997/pyx12__simple1.997.base': { valid: true, why: 'well-formed 997' },
  '997/pyx12__simple_837p.997.base': { valid: true, why: 'well-formed 997 with a TA1' },
  '997/pyx12__trailer_errors.997.base': { valid: true, why: 'well-formed 997 reporting trailer errors, with a rejecting TA1' },
  '997/pyx12__trailing_terms.997.base': { valid: true, why: 'well-formed 997' },
  '997/staedi__empty997.edi': {
    valid: false,
    firstError: 'segment.mandatory-missing',
    why: 'a 997 needs AK1 and AK9; this one is only ST/SE',
  },
  '997/staedi__extraDelimiter997.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.too-many-components'],
    why: "component ':' and repetition '^' separators inside simple elements (AK302, AK304) are delimiters, not data",
  },
  '997/staedi__invalid997.edi': {
    valid: false,
    firstError: 'segment.has-element-errors',
    alsoExpect: ['element.invalid-character'],
    why: 'AK1/AK4 carry codes too long and non-numeric values in numeric elements',
  },
  '997/staedi__invalid997_min.edi': {
    valid: false,
    firstError: 'gs.field-invalid',
    alsoExpect: ['gs.control-number-mismatch'],
    why: 'GS04 BAD_DATE and GS05 295335 are no date and time; GE02 is not the group control number; AK1 code too long',
  },
  '997/staedi__optionalInterchangeServices.edi': { valid: true, why: 'ISB/ISE interchange service segments between ISA and GS are allowed' },
  '997/staedi__simple997-multiple-interchanges.edi': { valid: true, why: 'three interchanges, each a well-formed 997' },
  '997/staedi__simple997.edi': { valid: true, why: 'well-formed 005010 997 reporting a rejection' },
  '997/stupidedi__1.edi': { valid: true, why: 'well-formed 997; ISA06 is short (unpadded ISA: a warning only)' },
  '997/stupidedi__response-to-functional-group-containing-837s.edi': { valid: true, why: 'well-formed 005010 997 behind a UTF-8 BOM (info)' },
  '997/vgix12__ack_997.997': { valid: true, why: 'well-formed 997 (AK5*E, AK9*P); the 999 guide id in GS08 does not break 997 syntax' },
  '997/x12types__test_997.rs__test_997_1.edi': { valid: false, firstError: 'file.set-without-envelope', why: 'ST..SE only, no ISA/GS' },
  '997/x12types__test_997.rs__test_997_2.edi': {
    valid: false,
    firstError: 'file.set-without-envelope',
    why: 'ST..SE only; the AK9 arithmetic inconsistency is not a syntax error',
  },
  '997/x12types__test_997.rs__test_997_3.edi': { valid: false, firstError: 'file.set-without-envelope', why: 'two ST..SE sets without envelope, each reported' },
  '997/x12types__test_997.rs__test_997_4.edi': { valid: false, firstError: 'file.set-without-envelope', why: 'ST..SE only, no ISA/GS' },
  // ---- 999 ----
  '999/herophilus__999 Sample (Accepted).txt': { valid: true, why: "well-formed 999 on one line with '|' as component separator" },
  '999/herophilus__999 Sample (Rejected).txt': { valid: true, why: 'well-formed 999 reporting an unrecognized segment in the acknowledged 837' },
  '999/imsweb__x12_999_accepted.txt': {
    valid: false,
    firstError: 'gs.field-invalid',
    alsoExpect: ['isa.control-number-mismatch'],
    why: 'GS05 102497 is no valid time (minute 24, second 97); IEA02 000000001 vs ISA13 000000286',
  },
  '999/pyx12__834_ls_le_ls_5010.999.txt': { valid: true, why: "well-formed 999; '!' as repetition separator" },
  '999/pyx12__834_lui_id_5010.999.txt': { valid: true, why: 'four well-formed 999s in two groups (the same GS06 in two groups is legal)' },
  '999/staedi__invalid999.edi': {
    valid: false,
    firstError: 'segment.unexpected',
    alsoExpect: ['element.too-many', 'segment.over-max-use', 'st.segment-count-mismatch'],
    why: 'an IK5 right after ST (before AK1), AK2 with extra elements, a second IK5 in one AK2 loop, IK501 Q, SE01 wrong',
  },
  '999/staedi__simple999.edi': { valid: true, why: "well-formed 999 with IK3/IK4/CTX; CTX01 repeats with '^'" },
  '999/stupidedi__response-to-functional-group-containing-3-837s.edi': { valid: true, why: 'well-formed 005010X231A1 999 behind a UTF-8 BOM' },
};
