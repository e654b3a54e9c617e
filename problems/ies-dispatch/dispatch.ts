/**
 * The 24-hour dispatch LP of an integrated energy system (docs/model.md), built
 * as a list of component functions over a validated {@link IesCase}:
 *
 *   addGrid, addHub (addChp, addBoiler, addStorage), addElectricNetwork,
 *   addHeatNetwork, addGasNetwork, then the objective variants.
 *
 * Units: power in kW (electric, heat, reactive in kvar), energy in kWh (one
 * period is one hour, so kW and kWh per period coincide), gas flow in m³/h,
 * squared voltage in kV², cost in $.
 *
 * Every variant (`optimal`, `selfish`, `feasible`) shares the same rows,
 * columns and bounds and differs only in its objective, so a certificate for
 * any of them can be checked against the true (`optimal`) LP.
 *
 * @module
 */
import type { Hub, IesCase, Storage } from "./case.ts";
import { LpBuilder, type SparseLp, withObjective } from "../../lp/lp.ts";

/** Largest error the piecewise-linear CHP cost may add to a day's cost, in $ (docs/model.md: under one cent). */
export const PWL_MAX_ERROR_USD_PER_DAY = 0.005;

/**
 * Flow and import limits are this many times the case's total load plus
 * installed capacity: generous physical limits that never bind, but finite,
 * so that any dual vector yields a valid lower bound.
 */
export const GENEROUS_LIMIT_FACTOR = 2;

/** Sides of the inner polygon that stands for the CHP capability quarter-circle P² + Q² <= S². */
export const CHP_CIRCLE_SIDES = 16;

/** Grid-import weight of the published selfish objective (docs/model.md). */
export const SELFISH_GRID_WEIGHT = 1.5;

/** Reward, in $ per kWh, that the selfish objective gives its own hub's electricity (docs/model.md). */
export const SELFISH_REWARD_USD_PER_KWH = 1;

/** The hub whose electricity the published selfish objective rewards (docs/model.md): hub 3. */
const PUBLISHED_SELFISH_HUB = 3;

/** The objective variants a leader may solve. */
export type ObjectiveVariant = "optimal" | "selfish" | "feasible";

/**
 * Column indices of one hub's variables, one entry per hour (the unit is that of the
 * variable the column holds).
 */
export interface HubColumns {
  /** The hub's id in the case. */
  id: number;
  /** CHP electric output, kW. */
  chpElectricKw: number[];
  /** CHP reactive output, kvar. */
  chpReactiveKvar: number[];
  /** Boiler heat output, kW. */
  boilerHeatKw: number[];
  /** Battery charging, kW (drawn from the bus: charge / efficiency). */
  batteryChargeKw: number[];
  /** Battery discharging, kW (delivered to the bus: efficiency × discharge). */
  batteryDischargeKw: number[];
  /** Battery energy, kWh. */
  batteryEnergyKwh: number[];
  /** Heat-tank charging, kW (drawn from the node: charge / efficiency). */
  tankChargeKw: number[];
  /** Heat-tank discharging, kW (delivered to the node: efficiency × discharge). */
  tankDischargeKw: number[];
  /** Heat-tank energy, kWh. */
  tankEnergyKwh: number[];
}

/** Where the physically meaningful variables sit in x (column indices, one per hour). */
export interface DispatchLayout {
  /** Periods of the day, h. */
  hours: number;
  /** Grid import at the grid bus, kW. */
  gridImportKw: number[];
  /** Reactive import at the grid bus, kvar. */
  gridReactiveKvar: number[];
  /** Every hub's columns, in the case's order. */
  hubs: HubColumns[];
}

/**
 * The dispatch LP with its layout and objective variants.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const j = model.layout.gridImportKw[0];
 * console.log(model.lp.colNames[j], model.lp.c[j] === model.objectives.optimal[j]); // grid.p[t01] true
 * ```
 */
export interface DispatchModel {
  /** The case the model was built for. */
  ies: IesCase;
  /** The LP with the true objective (what followers check against). */
  lp: SparseLp;
  /** Where the physical variables sit in x. */
  layout: DispatchLayout;
  /** The objective vectors of every variant (same length as lp.c). */
  objectives: Record<ObjectiveVariant, Float64Array>;
}

/** Options of {@link buildDispatchModel}. */
export interface BuildOptions {
  /** Hub whose electricity the selfish objective rewards (default hub 3, as published, when the case has it; else its first hub). */
  selfishHub?: number;
  /** Bound on the PWL CHP cost error over the day, $ (default {@link PWL_MAX_ERROR_USD_PER_DAY}). */
  pwlMaxErrorUsd?: number;
}

const hourTag = (t: number) => `t${String(t + 1).padStart(2, "0")}`;
const hours = (h: number) => Array.from({ length: h }, (_, t) => t);

/**
 * The CHP cost as a quadratic in electric power: cost = quad p² + lin p, $/h with p in MW
 * (heat fixed at the heat-to-power ratio × p).
 *
 * @example
 * ```ts
 * import { chpCostCurve, loadUomCase } from "../../mod.ts";
 * const { quad, lin } = chpCostCurve((await loadUomCase()).hubs[0]);
 * console.log(quad > 0, lin > 0); // true true
 * ```
 */
export function chpCostCurve(hub: Hub): { quad: number; lin: number } {
  const { a_per_mw2: a, b_per_mw: b, c_per_mw2: c, d_per_mw: d, e_per_mw2: e } = hub.chp.cost_usd;
  const r = hub.chp.heat_to_power_ratio;
  return { quad: a + c * r * r + e * r, lin: b + d * r };
}

/**
 * True CHP cost in $/h at electric output pKw, kW (heat fixed at ratio × p).
 *
 * @example
 * ```ts
 * import { chpCostCurve, chpCostUsdPerHour, loadUomCase } from "../../mod.ts";
 * const hub = (await loadUomCase()).hubs[0];
 * const { quad, lin } = chpCostCurve(hub);
 * console.log(chpCostUsdPerHour(hub, 1000) === quad + lin); // true
 * ```
 */
export function chpCostUsdPerHour(hub: Hub, pKw: number): number {
  const { quad, lin } = chpCostCurve(hub);
  const p = pKw / 1000;
  return quad * p * p + lin * p;
}

/** Accumulates the terms of every balance row (node × hour) before adding them. */
class Balances {
  private readonly terms = new Map<string, [number, number][]>();
  add(key: string, col: number, coef: number): void {
    const list = this.terms.get(key);
    if (list) list.push([col, coef]);
    else this.terms.set(key, [[col, coef]]);
  }
  get(key: string): [number, number][] {
    return this.terms.get(key) ?? [];
  }
}

interface Ctx {
  ies: IesCase;
  b: LpBuilder;
  T: number[];
  /** Objective contributions, by variant, as (column, $ coefficient). */
  cost: Record<ObjectiveVariant, [number, number][]>;
  elecP: Balances;
  elecQ: Balances;
  heat: Balances;
  gas: Balances;
  limitKw: number;
  pwlTolUsdPerHour: number;
}

const eKey = (bus: number, t: number) => `${bus}@${t}`;

function addAllCosts(ctx: Ctx, col: number, usd: number, variants: ObjectiveVariant[]): void {
  for (const v of variants) ctx.cost[v].push([col, usd]);
}

const ALL: ObjectiveVariant[] = ["optimal", "selfish", "feasible"];

/** Grid import at the grid bus: active import only, reactive import free of charge. */
function addGrid(ctx: Ctx): Pick<DispatchLayout, "gridImportKw" | "gridReactiveKvar"> {
  const { ies, b } = ctx;
  if (ies.grid.export_allowed) throw new Error("grid.export_allowed: export to the grid is not modelled");
  const gridImportKw: number[] = [], gridReactiveKvar: number[] = [];
  for (const t of ctx.T) {
    const p = b.addCol(`grid.p[${hourTag(t)}]`, 0, ctx.limitKw);
    const q = b.addCol(`grid.q[${hourTag(t)}]`, 0, ctx.limitKw);
    const price = ies.grid.import_price_usd_per_kwh[t];
    addAllCosts(ctx, p, price, ["optimal"]);
    ctx.cost.selfish.push([p, SELFISH_GRID_WEIGHT * price]);
    // "feasible" is grid-heavy: it ignores the grid price altogether.
    ctx.elecP.add(eKey(ies.grid.bus, t), p, 1);
    ctx.elecQ.add(eKey(ies.grid.bus, t), q, 1);
    gridImportKw.push(p);
    gridReactiveKvar.push(q);
  }
  return { gridImportKw, gridReactiveKvar };
}

/**
 * CHP: electric P and reactive Q inside an inner polygon of the capability
 * circle, heat = ratio × P injected at the hub's heat node, gas P / (eff × HV)
 * drawn at its gas node, cost as a convex piecewise-linear function of P with
 * uniform segments whose chord error is within the tolerance.
 */
function addChp(ctx: Ctx, hub: Hub, tag: string): Pick<HubColumns, "chpElectricKw" | "chpReactiveKvar"> {
  const { b, ies } = ctx;
  const s = hub.chp.max_kva;
  const { quad, lin } = chpCostCurve(hub);
  // Chord error of a quadratic over a segment of width w MW is quad w² / 4.
  const maxWidthMw = quad > 0 ? Math.sqrt((4 * ctx.pwlTolUsdPerHour) / quad) : Infinity;
  const segments = Math.max(1, Math.ceil(s / 1000 / maxWidthMw));
  const widthKw = s / segments;
  const gasPerKw = 1 / (hub.chp.electric_efficiency * ies.gas.heating_value_kwh_per_m3);
  const step = Math.PI / 2 / CHP_CIRCLE_SIDES;
  const chpElectricKw: number[] = [], chpReactiveKvar: number[] = [];
  for (const t of ctx.T) {
    const h = hourTag(t);
    const p = b.addCol(`${tag}.chp.p[${h}]`, 0, s);
    const q = b.addCol(`${tag}.chp.q[${h}]`, 0, s);
    for (let k = 0; k < CHP_CIRCLE_SIDES; k++) {
      const mid = (k + 0.5) * step;
      b.addRow(`${tag}.chp.circle${k + 1}[${h}]`, -Infinity, s * Math.cos(step / 2), [
        [p, Math.cos(mid)],
        [q, Math.sin(mid)],
      ]);
    }
    const segs: [number, number][] = [[p, -1]];
    for (let k = 0; k < segments; k++) {
      const lo = (k * widthKw) / 1000, hi = ((k + 1) * widthKw) / 1000;
      // A hub without a CHP (max_kva 0) has one segment of width 0: its slope is the marginal cost at 0.
      const slopeUsdPerKwh = hi > lo
        ? (quad * (hi * hi - lo * lo) + lin * (hi - lo)) / (hi - lo) / 1000
        : lin / 1000;
      const sk = b.addCol(`${tag}.chp.seg${k + 1}[${h}]`, 0, widthKw);
      addAllCosts(ctx, sk, slopeUsdPerKwh, ALL);
      segs.push([sk, 1]);
    }
    b.addEq(`${tag}.chp.pwl[${h}]`, 0, segs);
    ctx.elecP.add(eKey(hub.electric_bus, t), p, 1);
    ctx.elecQ.add(eKey(hub.electric_bus, t), q, 1);
    ctx.heat.add(eKey(hub.heat_node, t), p, hub.chp.heat_to_power_ratio);
    ctx.gas.add(eKey(hub.gas_node, t), p, -gasPerKw);
    chpElectricKw.push(p);
    chpReactiveKvar.push(q);
  }
  return { chpElectricKw, chpReactiveKvar };
}

/** Gas boiler: heat within its limit, gas heat / (eff × HV), cost per kWh of heat. */
function addBoiler(ctx: Ctx, hub: Hub, tag: string): number[] {
  const { b, ies } = ctx;
  const boiler = hub.gas_boiler;
  const gasPerKw = 1 / (boiler.efficiency * ies.gas.heating_value_kwh_per_m3);
  return ctx.T.map((t) => {
    const hcol = b.addCol(`${tag}.boiler.heat[${hourTag(t)}]`, 0, boiler.max_heat_kw);
    addAllCosts(ctx, hcol, boiler.cost_usd_per_kwh_heat, ALL);
    ctx.heat.add(eKey(hub.heat_node, t), hcol, 1);
    ctx.gas.add(eKey(hub.gas_node, t), hcol, -gasPerKw);
    return hcol;
  });
}

/**
 * Battery or heat tank with the published dynamics (docs/model.md), kept exactly:
 * battery  E[t] = ret E[t-1] + In[t-1] - Out[t-1] (t = 2..T), E[1] = ret E[T] + In[T] - Out[T];
 * tank     S[t] = ret S[t-1] + In[t]   - Out[t]   (t = 2..T), S[1] = ret S[T] + In[T] - Out[T];
 * E[1] fixed at the initial energy; injection = eff × Out - In / eff.
 */
function addStorage(
  ctx: Ctx,
  st: Storage,
  name: string,
  sameHourFlows: boolean,
  inject: (t: number, col: number, coef: number) => void,
): { charge: number[]; discharge: number[]; energy: number[] } {
  const { b, T } = ctx;
  const charge: number[] = [], discharge: number[] = [], energy: number[] = [];
  for (const t of T) {
    const h = hourTag(t);
    charge.push(b.addCol(`${name}.in[${h}]`, 0, st.max_charge_kw));
    discharge.push(b.addCol(`${name}.out[${h}]`, 0, st.max_discharge_kw));
    const fixed = t === 0;
    energy.push(
      b.addCol(
        `${name}.energy[${h}]`,
        fixed ? st.initial_kwh : st.min_kwh,
        fixed ? st.initial_kwh : st.capacity_kwh,
      ),
    );
    inject(t, discharge[t], st.efficiency);
    inject(t, charge[t], -1 / st.efficiency);
  }
  const last = T.length - 1;
  for (const t of T) {
    const prev = t === 0 ? last : t - 1;
    const flowHour = t === 0 ? last : sameHourFlows ? t : t - 1;
    b.addEq(`${name}.dynamics[${hourTag(t)}]`, 0, [
      [energy[t], 1],
      [energy[prev], -st.retention],
      [charge[flowHour], -1],
      [discharge[flowHour], 1],
    ]);
  }
  return { charge, discharge, energy };
}

function addHub(ctx: Ctx, hub: Hub): HubColumns {
  const tag = `hub${hub.id}`;
  const chp = addChp(ctx, hub, tag);
  const boilerHeatKw = addBoiler(ctx, hub, tag);
  const battery = addStorage(
    ctx,
    hub.battery,
    `${tag}.battery`,
    false,
    (t, col, coef) => ctx.elecP.add(eKey(hub.electric_bus, t), col, coef),
  );
  const tank = addStorage(
    ctx,
    hub.heat_tank,
    `${tag}.tank`,
    true,
    (t, col, coef) => ctx.heat.add(eKey(hub.heat_node, t), col, coef),
  );
  return {
    id: hub.id,
    ...chp,
    boilerHeatKw,
    batteryChargeKw: battery.charge,
    batteryDischargeKw: battery.discharge,
    batteryEnergyKwh: battery.energy,
    tankChargeKw: tank.charge,
    tankDischargeKw: tank.discharge,
    tankEnergyKwh: tank.energy,
  };
}

/**
 * Linearised DistFlow on the radial network: lossless P and Q balance at every
 * bus, v_to = v_from - 2 (r P + x Q) / 1000 (v in kV², P in kW, r in ohm),
 * voltage limits, branch flows non-negative from → to as published; the slack
 * bus is held at 1.0 pu.
 */
function addElectricNetwork(ctx: Ctx): void {
  const { ies, b } = ctx;
  const el = ies.electric;
  const vNom2 = el.nominal_kv * el.nominal_kv;
  const [vmin, vmax] = el.voltage_limits_pu;
  for (const t of ctx.T) {
    const h = hourTag(t);
    const v = new Map<number, number>();
    for (const bus of el.buses) {
      const slack = bus.id === el.slack_bus;
      v.set(
        bus.id,
        b.addCol(
          `bus${bus.id}.v2[${h}]`,
          slack ? vNom2 : vmin * vmin * vNom2,
          slack ? vNom2 : vmax * vmax * vNom2,
        ),
      );
    }
    for (const br of el.branches) {
      const p = b.addCol(`branch${br.id}.p[${h}]`, 0, ctx.limitKw);
      const q = b.addCol(`branch${br.id}.q[${h}]`, 0, ctx.limitKw);
      b.addEq(`branch${br.id}.vdrop[${h}]`, 0, [
        [v.get(br.to)!, 1],
        [v.get(br.from)!, -1],
        [p, (2 * br.r_ohm) / 1000],
        [q, (2 * br.x_ohm) / 1000],
      ]);
      ctx.elecP.add(eKey(br.from, t), p, -1);
      ctx.elecP.add(eKey(br.to, t), p, 1);
      ctx.elecQ.add(eKey(br.from, t), q, -1);
      ctx.elecQ.add(eKey(br.to, t), q, 1);
    }
    for (const bus of el.buses) {
      const lf = ies.load_factor[t];
      b.addEq(`bus${bus.id}.p[${h}]`, bus.p_kw * lf, ctx.elecP.get(eKey(bus.id, t)));
      b.addEq(`bus${bus.id}.q[${h}]`, bus.q_kvar * lf, ctx.elecQ.get(eKey(bus.id, t)));
    }
  }
}

/**
 * Constant heat loss of every pipe, in kW, booked half at each end node: the map
 * gives each node's share, kW, by node id.
 *
 * @example
 * ```ts
 * import { loadUomCase, pipeHeatLossKw } from "../../mod.ts";
 * const ies = await loadUomCase();
 * const loss = pipeHeatLossKw(ies);
 * console.log(loss.size > 0, [...loss.values()].every((kw) => kw > 0)); // true true
 * ```
 */
export function pipeHeatLossKw(ies: IesCase): Map<number, number> {
  const { supply_temperature_c: ts, nominal_return_temperature_c: tr, ambient_temperature_c: ta } = ies.heat;
  const atNode = new Map<number, number>();
  for (const pipe of ies.heat.pipes) {
    // lambda [W/(m K)] × L [m] × ΔT [K] / 1000 = kW, on the supply and on the return side.
    const lossKw = (pipe.heat_loss_coefficient * pipe.length_m * ((ts - ta) + (tr - ta))) / 1000;
    for (const n of [pipe.from, pipe.to]) atNode.set(n, (atNode.get(n) ?? 0) + lossKw / 2);
  }
  return atNode;
}

/** Heat balance at every node; pipe heat flows of free sign; constant pipe losses. */
function addHeatNetwork(ctx: Ctx): void {
  const { ies, b } = ctx;
  const loss = pipeHeatLossKw(ies);
  for (const t of ctx.T) {
    const h = hourTag(t);
    for (const pipe of ies.heat.pipes) {
      const f = b.addCol(`pipe${pipe.id}.heat[${h}]`, -ctx.limitKw, ctx.limitKw);
      ctx.heat.add(eKey(pipe.from, t), f, -1);
      ctx.heat.add(eKey(pipe.to, t), f, 1);
    }
    for (const node of ies.heat.nodes) {
      const demand = node.load_kw * ies.load_factor[t] + (loss.get(node.id) ?? 0);
      b.addEq(`heat${node.id}.balance[${h}]`, demand, ctx.heat.get(eKey(node.id, t)));
    }
  }
}

/**
 * Gas balance at every node in m³/h; lossless pipe flows of free sign; the
 * source node supplies without limit or cost. Gas loads are not scaled by the
 * load factor (docs/model.md: electric and heat loads only).
 */
function addGasNetwork(ctx: Ctx): void {
  const { ies, b } = ctx;
  const hv = ies.gas.heating_value_kwh_per_m3;
  const limitM3h = ctx.limitKw / hv / Math.min(...ies.hubs.map((h) => h.gas_boiler.efficiency));
  for (const t of ctx.T) {
    const h = hourTag(t);
    for (const pipe of ies.gas.pipes) {
      const f = b.addCol(`gaspipe${pipe.id}.flow[${h}]`, -limitM3h, limitM3h);
      ctx.gas.add(eKey(pipe.from, t), f, -1);
      ctx.gas.add(eKey(pipe.to, t), f, 1);
    }
    const src = b.addCol(`gas.source[${h}]`, 0, limitM3h);
    ctx.gas.add(eKey(ies.gas.source_node, t), src, 1);
    for (const node of ies.gas.nodes) {
      b.addEq(`gas${node.id}.balance[${h}]`, node.load_kw / hv, ctx.gas.get(eKey(node.id, t)));
    }
  }
}

/** Total load plus installed capacity, kW: the scale of the generous limits. */
function systemScaleKw(ies: IesCase): number {
  const maxLf = Math.max(...ies.load_factor);
  const loads = ies.electric.buses.reduce((s, b) => s + Math.abs(b.p_kw) + Math.abs(b.q_kvar), 0) * maxLf +
    ies.heat.nodes.reduce((s, n) => s + Math.abs(n.load_kw), 0) * maxLf +
    ies.gas.nodes.reduce((s, n) => s + Math.abs(n.load_kw), 0);
  const capacity = ies.hubs.reduce(
    (s, h) =>
      s + h.chp.max_kva * (1 + h.chp.heat_to_power_ratio) + h.gas_boiler.max_heat_kw +
      h.battery.max_discharge_kw + h.heat_tank.max_discharge_kw,
    0,
  );
  return loads + capacity;
}

/**
 * Builds the dispatch LP of docs/model.md for a case.
 *
 * @example
 * ```ts
 * import { loadUomCase } from "./case.ts";
 * import { buildDispatchModel } from "./dispatch.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * console.log(model.lp.colNames.length > 0); // true
 * ```
 */
export function buildDispatchModel(ies: IesCase, options: BuildOptions = {}): DispatchModel {
  const selfishHub = options.selfishHub ??
    (ies.hubs.some((h) => h.id === PUBLISHED_SELFISH_HUB) ? PUBLISHED_SELFISH_HUB : ies.hubs[0].id);
  if (!ies.hubs.some((h) => h.id === selfishHub)) {
    throw new Error(`selfishHub: the case has no hub ${selfishHub}`);
  }
  const T = hours(ies.horizon_hours);
  const unitHours = ies.hubs.length * T.length;
  const ctx: Ctx = {
    ies,
    b: new LpBuilder(`${ies.name}: ${T.length}-hour dispatch`),
    T,
    cost: { optimal: [], selfish: [], feasible: [] },
    elecP: new Balances(),
    elecQ: new Balances(),
    heat: new Balances(),
    gas: new Balances(),
    limitKw: GENEROUS_LIMIT_FACTOR * systemScaleKw(ies),
    pwlTolUsdPerHour: (options.pwlMaxErrorUsd ?? PWL_MAX_ERROR_USD_PER_DAY) / unitHours,
  };
  const grid = addGrid(ctx);
  const hubs = ies.hubs.map((h) => addHub(ctx, h));
  addElectricNetwork(ctx);
  addHeatNetwork(ctx);
  addGasNetwork(ctx);

  const selfish = hubs.find((h) => h.id === selfishHub)!;
  for (const t of T) {
    ctx.cost.selfish.push(
      [selfish.chpElectricKw[t], -SELFISH_REWARD_USD_PER_KWH],
      [selfish.batteryDischargeKw[t], -SELFISH_REWARD_USD_PER_KWH],
      [selfish.batteryChargeKw[t], SELFISH_REWARD_USD_PER_KWH],
    );
  }
  const lp0 = ctx.b.build();
  const vec = (terms: [number, number][]) => {
    const c = new Float64Array(lp0.colNames.length);
    for (const [j, v] of terms) c[j] += v;
    return c;
  };
  const objectives = {
    optimal: vec(ctx.cost.optimal),
    selfish: vec(ctx.cost.selfish),
    feasible: vec(ctx.cost.feasible),
  };
  return {
    ies,
    lp: withObjective(lp0, objectives.optimal),
    layout: { hours: T.length, ...grid, hubs },
    objectives,
  };
}

/**
 * The model's LP with the objective of another variant.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, variantLp } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const selfish = variantLp(model, "selfish");
 * console.log(selfish.name.endsWith("(selfish)"), selfish.rowNames === model.lp.rowNames); // true true
 * ```
 */
export function variantLp(model: DispatchModel, variant: ObjectiveVariant): SparseLp {
  return withObjective(model.lp, model.objectives[variant], 0, `${model.lp.name} (${variant})`);
}
