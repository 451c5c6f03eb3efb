/**
 * Canonical values <-> partner text: numbers, booleans, code lists, and dates and times, which
 * X12 and CSV carry without a zone (the partner's time zone supplies it).
 */
import { DateTime } from 'luxon';
import type { FieldType } from './fields.ts';

/** A value a partner document carries that the field cannot take. */
export class FieldValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldValueError';
  }
}

export interface ValueSpec {
  codes?: Record<string, string>;
  format?: string;
  dateFormat?: string;
  timeFormat?: string;
}

export interface FormatDefaults {
  dateFormat: string;
  timeFormat: string;
  /** Format of a date-time carried in one value. */
  dateTimeFormat: string;
}

export const X12_DATES: FormatDefaults = { dateFormat: 'yyyyMMdd', timeFormat: 'HHmm', dateTimeFormat: 'yyyyMMddHHmm' };
export const TEXT_DATES: FormatDefaults = { dateFormat: 'yyyy-MM-dd', timeFormat: 'HH:mm', dateTimeFormat: 'iso' };

const BOOLEAN_IN: Record<string, boolean> = { y: true, yes: true, true: true, '1': true, n: false, no: false, false: false, '0': false };

function parseDate(text: string, format: string, zone: string): DateTime {
  const dt = format === 'iso' ? DateTime.fromISO(text, { zone, setZone: true }) : DateTime.fromFormat(text, format, { zone });
  if (!dt.isValid) throw new FieldValueError(`'${text}' is not a date in the format ${format}`);
  return dt;
}

/** X12 times come as HHMM, HHMMSS or HHMMSSDD: the length says which. */
function parseTime(text: string, format: string): { hour: number; minute: number; second: number } {
  let fmt = format;
  if (format === 'HHmm' && /^\d{6,8}$/.test(text)) fmt = 'HHmmss';
  const t = fmt === 'HHmmss' ? text.slice(0, 6) : text;
  const dt = DateTime.fromFormat(t, fmt, { zone: 'UTC' });
  if (!dt.isValid) throw new FieldValueError(`'${text}' is not a time in the format ${format}`);
  return { hour: dt.hour, minute: dt.minute, second: dt.second };
}

const iso = (dt: DateTime) => dt.toISO({ suppressMilliseconds: true }) as string;

/**
 * Partner text -> canonical value. `time` is the separate time value when the field carries
 * its date and time apart. Empty text is "not sent" and never reaches here.
 */
export function fromPartner(text: string, type: FieldType, spec: ValueSpec, defaults: FormatDefaults, zone: string, time?: string): unknown {
  if (spec.codes) {
    const entry = Object.entries(spec.codes).find(([, code]) => code === text);
    if (!entry) throw new FieldValueError(`'${text}' is not one of the codes ${Object.values(spec.codes).join(', ')}`);
    text = entry[0];
  }
  switch (type.kind) {
    case 'string':
      return text;
    case 'enum':
      if (!type.values.includes(text)) throw new FieldValueError(`'${text}' is not one of ${type.values.join(', ')}`);
      return text;
    case 'integer': {
      if (!/^[-+]?\d+(\.0*)?$/.test(text.trim())) throw new FieldValueError(`'${text}' is not a whole number`);
      return Number.parseInt(text, 10);
    }
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) throw new FieldValueError(`'${text}' is not a number`);
      return n;
    }
    case 'boolean': {
      const b = BOOLEAN_IN[text.trim().toLowerCase()];
      if (b === undefined) throw new FieldValueError(`'${text}' is not yes or no (Y, N, true, false, 1, 0)`);
      return b;
    }
    case 'date':
      return parseDate(text, spec.dateFormat ?? spec.format ?? defaults.dateFormat, zone).toISODate();
    case 'datetime':
    case 'date-or-datetime': {
      if (time !== undefined) {
        const d = parseDate(text, spec.dateFormat ?? defaults.dateFormat, zone);
        const t = parseTime(time, spec.timeFormat ?? defaults.timeFormat);
        return iso(d.set({ hour: t.hour, minute: t.minute, second: t.second, millisecond: 0 }));
      }
      if (type.kind === 'date-or-datetime') {
        // One value: a date, or a date-time when the format has hours (or the ISO text has a time).
        const fmt = spec.format ?? spec.dateFormat ?? defaults.dateFormat;
        if (fmt === 'iso') return /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? parseDate(text.trim(), 'yyyy-MM-dd', zone).toISODate() : iso(parseDate(text, 'iso', zone));
        if (!/[Hh]/.test(fmt)) return parseDate(text, fmt, zone).toISODate();
        return iso(parseDate(text, fmt, zone));
      }
      return iso(parseDate(text, spec.format ?? defaults.dateTimeFormat, zone));
    }
  }
}

/** Canonical value -> partner text; a date-time carried apart gives { date, time }. */
export function toPartner(value: unknown, type: FieldType, spec: ValueSpec, defaults: FormatDefaults, zone: string, split: boolean): string | { date: string; time?: string } {
  let text: string;
  switch (type.kind) {
    case 'boolean':
      text = value ? 'Y' : 'N';
      break;
    case 'date': {
      const d = DateTime.fromISO(String(value), { zone });
      text = d.toFormat(spec.dateFormat ?? spec.format ?? defaults.dateFormat);
      if (split) return { date: text };
      break;
    }
    case 'datetime':
    case 'date-or-datetime': {
      const s = String(value);
      const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
      const dt = dateOnly ? DateTime.fromISO(s, { zone }) : DateTime.fromISO(s, { setZone: true }).setZone(zone);
      if (!dt.isValid) throw new FieldValueError(`'${s}' is not an ISO date-time`);
      if (split) return { date: dt.toFormat(spec.dateFormat ?? defaults.dateFormat), time: dateOnly ? undefined : dt.toFormat(spec.timeFormat ?? defaults.timeFormat) };
      if (dateOnly) text = spec.format === 'iso' || (!spec.format && defaults.dateTimeFormat === 'iso') ? s : dt.toFormat(spec.dateFormat ?? (spec.format && !/[Hh]/.test(spec.format) ? spec.format : defaults.dateFormat));
      else {
        const fmt = spec.format ?? defaults.dateTimeFormat;
        text = fmt === 'iso' ? iso(dt) : dt.toFormat(fmt);
      }
      break;
    }
    default:
      text = String(value);
  }
  if (spec.codes) {
    const code = spec.codes[text];
    if (code === undefined) throw new FieldValueError(`'${text}' has no partner code (codes: ${Object.keys(spec.codes).join(', ')})`);
    return code;
  }
  return text;
}
