/**
 * `poso case`: what a dispatch case holds, in one paragraph.
 *
 * @module
 */
import type { IesCase } from "../problems/ies-dispatch/case.ts";

/**
 * The case's name, horizon and sizes, e.g. `"UoM": 24 h, 15 buses, 14 branches, ...`.
 *
 * @example
 * ```ts
 * import { loadUomCase } from "../problems/ies-dispatch/case.ts";
 * console.log(caseSummary(await loadUomCase()).split("\n")[1]); // 24 h, 8 hubs, 15 buses, 14 branches, 36 heat nodes, 35 heat pipes, 37 gas nodes, 36 gas pipes
 * ```
 */
export function caseSummary(c: IesCase): string {
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
  return [
    JSON.stringify(c.name),
    [
      `${c.horizon_hours} h`,
      n(c.hubs.length, "hub"),
      n(c.electric.buses.length, "bus").replace(/buss$/, "buses"),
      n(c.electric.branches.length, "branch").replace(/branchs$/, "branches"),
      n(c.heat.nodes.length, "heat node"),
      n(c.heat.pipes.length, "heat pipe"),
      n(c.gas.nodes.length, "gas node"),
      n(c.gas.pipes.length, "gas pipe"),
    ].join(", "),
  ].join("\n");
}
