/**
 * Plain-text tables for terminal output.
 *
 * @module
 */

/** Alignment of a column: numbers right, text left. */
export type Align = "left" | "right";

/**
 * Renders rows as a table with a header and a rule under it. Cells are
 * strings; columns are as wide as their widest cell.
 *
 * @example
 * ```ts
 * import { renderTable } from "./table.ts";
 * console.log(renderTable(["hub", "kWh"], [["1", "12"]], ["left", "right"]));
 * ```
 */
export function renderTable(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, k) => (align[k] === "right" ? c.padStart(widths[k]) : c.padEnd(widths[k])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
