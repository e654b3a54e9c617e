/**
 * Reading back the CSV files poso writes, as a strict RFC 4180 reader would.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Parses RFC 4180 text (quoted fields, doubled quotes, CRLF records) into records of fields. */
export function parseCsv(text: string): string[][] {
  assert.ok(text.endsWith("\r\n"), "the last record ends with CRLF");
  const records: string[][] = [];
  let fields: string[] = [], field = "", quoted = false, i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') [field, i] = [field + '"', i + 2];
      else if (ch === '"') [quoted, i] = [false, i + 1];
      else [field, i] = [field + ch, i + 1];
    } else if (ch === '"' && field === "") [quoted, i] = [true, i + 1];
    else if (ch === ",") [fields, field, i] = [[...fields, field], "", i + 1];
    else if (ch === "\r" && text[i + 1] === "\n") {
      records.push([...fields, field]);
      [fields, field, i] = [[], "", i + 2];
    } else {
      assert.notEqual(ch, "\n", "a bare LF ends no record in RFC 4180");
      [field, i] = [field + ch, i + 1];
    }
  }
  return records;
}

/** A field a float parser (pandas, a spreadsheet) reads as a float: a decimal point, an exponent, inf, or empty (NaN). */
export const FLOAT_FIELD = /^(-?\d+\.\d+(e[-+]?\d+)?|-?\d+(\.\d+)?e[-+]?\d+|-?inf|)$/;

/** The records of a CSV as objects by header name. */
export function table(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  for (const r of rows) assert.equal(r.length, header.length);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}
