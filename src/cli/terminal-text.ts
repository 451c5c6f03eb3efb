/**
 * What the command line shows of text it did not write (partner data, file names, messages
 * that quote them): one escaping rule for every command, so that bytes from a partner file or a
 * path cannot move the cursor, recolour, reorder or split what a person reads.
 */

/** C0, DEL, C1, the line and paragraph separators, the bidirectional overrides and isolates, and lone surrogates. */
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for a terminal: every unshowable character written as JSON writes it (\u001b, \n). */
export function printable(text: string): string {
  return text.replace(UNSHOWABLE, (c) => {
    const short = JSON.stringify(c);
    return short.length === 4 ? short.slice(1, -1) : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A path on one terminal line: as it is, or JSON-quoted when it holds anything unshowable. */
export function shownPath(path: string): string {
  return printable(path) === path ? path : JSON.stringify(path);
}
