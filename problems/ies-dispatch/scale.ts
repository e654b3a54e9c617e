/**
 * Bigger cases for scaling studies (`poso case scale`, docs/case-format.md): k copies of a
 * case's whole system sharing one grid connection, and/or a horizon of d days.
 *
 * - Copies: copy 0 keeps every id; copy c (0-based) adds c × (the table's largest id) to
 *   every id of each table (buses, branches, heat nodes, heat pipes, gas nodes, gas pipes,
 *   hubs), so the copies never collide and the ids stay predictable. Copy 0's grid bus stays
 *   the grid and slack bus; copy c's is joined to it by a new branch of zero impedance, and
 *   copy c's gas source node becomes an ordinary node joined to copy 0's by a new gas pipe.
 *   Heat networks stay separate. The copies are independent but for the shared grid import
 *   (a linear price, a bound that never binds), so the LP optimum is k times one copy's, up
 *   to the piecewise-linear CHP cost's error bound (dispatch.ts PWL_MAX_ERROR_USD_PER_DAY),
 *   which is shared by k times as many units.
 * - Days: the hourly prices and load factors repeat d times; each storage unit runs over the
 *   whole horizon (from its initial energy, cyclic over the horizon, not per day).
 *
 * @module
 */
import {
  type Bus,
  type GasNode,
  type GasPipe,
  type HeatNode,
  type HeatPipe,
  type Hub,
  type IesCase,
  MAX_CASE_ID,
  MAX_CASE_NAME_CHARS,
  MAX_HORIZON_HOURS,
  parseCase,
} from "./case.ts";

/** Most copies of a case in one scaled case (the bundled case ×1024: some 14 million LP columns). */
export const MAX_SCALE_COPIES = 1024;

/** Most days of a scaled horizon (a leap year); `horizon_hours` × days is also at most MAX_HORIZON_HOURS. */
export const MAX_SCALE_DAYS = 366;

/** How to scale a case: see {@link scaleCase}. */
export interface ScaleOptions {
  /** Copies of the whole system, 1 to {@link MAX_SCALE_COPIES} (default 1). */
  copies?: number;
  /** Days of the horizon: the case's horizon repeated, 1 to {@link MAX_SCALE_DAYS} (default 1). */
  days?: number;
}

/**
 * A scaling that cannot be done; `option` names the option at fault (`copies` or `days`).
 *
 * @example
 * ```ts
 * import { ScaleError } from "./scale.ts";
 * console.log(new ScaleError("copies", "expected 1 to 1024, found 0").message); // copies: expected 1 to 1024, found 0
 * ```
 */
export class ScaleError extends Error {
  /** The option at fault. */
  readonly option: keyof ScaleOptions;
  /** What is wrong with it. */
  readonly detail: string;
  /**
   * An error about `option`; the message is `<option>: <detail>`.
   *
   * @param option the option at fault
   * @param detail what is wrong with it
   */
  constructor(option: keyof ScaleOptions, detail: string) {
    super(`${option}: ${detail}`);
    this.name = "ScaleError";
    this.option = option;
    this.detail = detail;
  }
}

/** The largest id of a table (0 when it is empty): copy c's ids are shifted by c times it. */
const maxId = (items: { id: number }[]): number => items.reduce((m, it) => Math.max(m, it.id), 0);

/** Id shifts of one copy, per table. */
interface Shift {
  bus: number;
  branch: number;
  heatNode: number;
  heatPipe: number;
  gasNode: number;
  gasPipe: number;
  hub: number;
}

function strides(c: IesCase): Shift {
  return {
    bus: maxId(c.electric.buses),
    branch: maxId(c.electric.branches),
    heatNode: maxId(c.heat.nodes),
    heatPipe: maxId(c.heat.pipes),
    gasNode: maxId(c.gas.nodes),
    gasPipe: maxId(c.gas.pipes),
    hub: maxId(c.hubs),
  };
}

const times = (s: Shift, k: number): Shift =>
  Object.fromEntries(Object.entries(s).map(([t, v]) => [t, v * k])) as unknown as Shift;

const shiftHub = (hub: number | null, by: number): number | null => hub === null ? null : hub + by;

/** Copy `k` (0-based) of the system: every id shifted, copy 0's markers only in copy 0. */
function copyOf(c: IesCase, s: Shift, k: number): Pick<IesCase, "hubs"> & {
  buses: Bus[];
  branches: IesCase["electric"]["branches"];
  heatNodes: HeatNode[];
  heatPipes: HeatPipe[];
  gasNodes: GasNode[];
  gasPipes: GasPipe[];
} {
  const d = times(s, k);
  return {
    buses: c.electric.buses.map((b) => ({
      ...b,
      id: b.id + d.bus,
      hub: shiftHub(b.hub, d.hub),
      slack: b.slack && k === 0,
    })),
    branches: c.electric.branches.map((b) => ({
      ...b,
      id: b.id + d.branch,
      from: b.from + d.bus,
      to: b.to + d.bus,
    })),
    heatNodes: c.heat.nodes.map((n) => ({ ...n, id: n.id + d.heatNode, hub: shiftHub(n.hub, d.hub) })),
    heatPipes: c.heat.pipes.map((p) => ({
      ...p,
      id: p.id + d.heatPipe,
      from: p.from + d.heatNode,
      to: p.to + d.heatNode,
    })),
    gasNodes: c.gas.nodes.map((n) => ({
      ...n,
      id: n.id + d.gasNode,
      hub: shiftHub(n.hub, d.hub),
      source: n.source && k === 0,
    })),
    gasPipes: c.gas.pipes.map((p) => ({
      ...p,
      id: p.id + d.gasPipe,
      from: p.from + d.gasNode,
      to: p.to + d.gasNode,
    })),
    hubs: c.hubs.map((h): Hub => ({
      ...structuredClone(h),
      id: h.id + d.hub,
      electric_bus: h.electric_bus + d.bus,
      heat_node: h.heat_node + d.heatNode,
      gas_node: h.gas_node + d.gasNode,
    })),
  };
}

function checkCount(option: keyof ScaleOptions, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new ScaleError(option, `expected a whole number from 1 to ${max}, found ${v}`);
  }
}

/** Why `copies` copies of `c` cannot be tied at its grid bus, or undefined. */
function copiesProblem(c: IesCase, copies: number): string | undefined {
  if (copies === 1) return undefined;
  if (c.grid.bus !== c.electric.slack_bus) {
    return `the copies are tied at the grid bus, which must be the slack bus (grid.bus is ${c.grid.bus}, ` +
      `electric.slack_bus ${c.electric.slack_bus})`;
  }
  const [vmin, vmax] = c.electric.voltage_limits_pu;
  if (vmin > 1 || vmax < 1) {
    return `each copy's grid bus is held at the slack's 1.0 pu, outside electric.voltage_limits_pu [${vmin}, ${vmax}]`;
  }
  const s = strides(c);
  const largest = Math.max(...Object.values(s)) * (copies + 1);
  if (largest > MAX_CASE_ID) return `ids would exceed ${MAX_CASE_ID}`;
  return undefined;
}

function scaledName(name: string, copies: number, days: number): string {
  const parts = [copies > 1 ? `${copies} copies` : "", days > 1 ? `${days}-day horizon` : ""].filter(Boolean);
  const suffix = parts.length > 0 ? ` (${parts.join(", ")})` : "";
  return name.slice(0, MAX_CASE_NAME_CHARS - suffix.length) + suffix;
}

const repeat = (values: number[], days: number): number[] =>
  Array.from({ length: days }, () => values).flat();

/**
 * A valid case made of `copies` copies of `c` tied at its grid bus, over `days` times its
 * horizon (see the module comment for the ids, the ties and the costs to expect). `c` is not
 * changed. Throws a {@link ScaleError} naming the option when the scaling cannot be done.
 *
 * @example
 * ```ts
 * import { loadUomCase, scaleCase } from "../../mod.ts";
 * const ies = await loadUomCase();
 * const big = scaleCase(ies, { copies: 2, days: 2 });
 * console.log(big.hubs.length, big.horizon_hours, big.electric.branches.length); // 16 48 29
 * ```
 */
export function scaleCase(c: IesCase, options: ScaleOptions = {}): IesCase {
  const copies = options.copies ?? 1, days = options.days ?? 1;
  checkCount("copies", copies, MAX_SCALE_COPIES);
  checkCount("days", days, MAX_SCALE_DAYS);
  if (c.horizon_hours * days > MAX_HORIZON_HOURS) {
    throw new ScaleError(
      "days",
      `${days} × ${c.horizon_hours} h is longer than the longest horizon, ${MAX_HORIZON_HOURS} h`,
    );
  }
  const problem = copiesProblem(c, copies);
  if (problem) throw new ScaleError("copies", problem);
  const s = strides(c);
  const all = Array.from({ length: copies }, (_, k) => copyOf(c, s, k));
  const ties = Array.from({ length: copies - 1 }, (_, i) => i + 1);
  return parseCase({
    name: scaledName(c.name, copies, days),
    horizon_hours: c.horizon_hours * days,
    grid: { ...c.grid, import_price_usd_per_kwh: repeat(c.grid.import_price_usd_per_kwh, days) },
    load_factor: repeat(c.load_factor, days),
    electric: {
      ...c.electric,
      buses: all.flatMap((x) => x.buses),
      branches: [
        ...all.flatMap((x) => x.branches),
        ...ties.map((k) => ({
          id: copies * s.branch + k,
          from: c.grid.bus,
          to: c.grid.bus + k * s.bus,
          r_ohm: 0,
          x_ohm: 0,
        })),
      ],
    },
    heat: { ...c.heat, nodes: all.flatMap((x) => x.heatNodes), pipes: all.flatMap((x) => x.heatPipes) },
    gas: {
      ...c.gas,
      nodes: all.flatMap((x) => x.gasNodes),
      pipes: [
        ...all.flatMap((x) => x.gasPipes),
        ...ties.map((k) => ({
          id: copies * s.gasPipe + k,
          from: c.gas.source_node,
          to: c.gas.source_node + k * s.gasNode,
        })),
      ],
    },
    hubs: all.flatMap((x) => x.hubs),
  });
}
