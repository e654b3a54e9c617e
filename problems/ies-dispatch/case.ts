/**
 * The integrated-energy-system case: its typed shape and a validator that
 * names the offending field path on bad input.
 *
 * Units are part of every field name (`_kw`, `_kwh`, `_ohm`, `_usd_per_kwh`,
 * ...). docs/case-format.md documents every field, its unit and its default;
 * `case.schema.json` (next to this file) is the same format as a JSON Schema
 * for editors. The validator checks types, ranges, array lengths, that no
 * object holds a key it does not know (a close match is suggested), and the
 * cross-references: ids unique per table, every branch and pipe joining
 * existing nodes, every hub on an existing bus, heat node and gas node, and
 * the back-references agreeing (a bus's `hub` is the hub whose `electric_bus`
 * is that bus; `slack` and `source` mark exactly `electric.slack_bus` and
 * `gas.source_node`). Optional fields are filled in, so a validated case holds
 * every field but the informational ones that were left out.
 *
 * @module
 */
import { CaseError } from "../case_error.ts";
import { describeJson, isJsonObject, loadJsonCase, shownText, unknownFieldDetail } from "../case_json.ts";

/** CHP cost coefficients: cost = a p² + b p + c h² + d h + e p h in $/h, p and h in MW. */
export interface ChpCost {
  /** Coefficient a of p², $/h per MW². */
  a_per_mw2: number;
  /** Coefficient b of p, $/h per MW. */
  b_per_mw: number;
  /** Coefficient c of h², $/h per MW². */
  c_per_mw2: number;
  /** Coefficient d of h, $/h per MW. */
  d_per_mw: number;
  /** Coefficient e of the product p h, $/h per MW². */
  e_per_mw2: number;
}

/** Combined heat and power unit of an energy hub. */
export interface Chp {
  /** Apparent-power rating S, kVA: the electric output P (kW) and reactive output Q (kvar) keep P² + Q² <= S². */
  max_kva: number;
  /** Electric output per unit of gas energy drawn, in (0, 1] (dimensionless). */
  electric_efficiency: number;
  /** Heat output per unit of electric output (dimensionless): heat = ratio × P. */
  heat_to_power_ratio: number;
  /** Cost coefficients of the unit. */
  cost_usd: ChpCost;
}

/** Gas boiler of an energy hub. */
export interface GasBoiler {
  /** Largest heat output, kW. */
  max_heat_kw: number;
  /** Heat output per unit of gas energy drawn, in (0, 1] (dimensionless). */
  efficiency: number;
  /** Running cost, $ per kWh of heat. */
  cost_usd_per_kwh_heat: number;
}

/** Battery or heat tank of an energy hub. */
export interface Storage {
  /** Largest energy held, kWh. */
  capacity_kwh: number;
  /** Lowest energy held, kWh (at most the capacity; optional, default 0). */
  min_kwh: number;
  /** Energy held at the start of the day, kWh (between the minimum and the capacity). */
  initial_kwh: number;
  /** Largest charging power, kW. */
  max_charge_kw: number;
  /** Largest discharging power, kW. */
  max_discharge_kw: number;
  /** One-way efficiency, in (0, 1] (dimensionless): delivered = eff × discharge, drawn = charge / eff. */
  efficiency: number;
  /** Share of the stored energy kept from one hour to the next, in [0, 1] (dimensionless; optional, default 1). */
  retention: number;
}

/** An energy hub: one CHP, one boiler, one battery and one heat tank. */
export interface Hub {
  /** Hub id (integer >= 1). */
  id: number;
  /** Id of the electric bus the hub feeds. */
  electric_bus: number;
  /** Id of the district-heating node the hub feeds. */
  heat_node: number;
  /** Id of the gas node the hub draws from. */
  gas_node: number;
  /** The hub's CHP unit. */
  chp: Chp;
  /** The hub's gas boiler. */
  gas_boiler: GasBoiler;
  /** The hub's battery (electric storage). */
  battery: Storage;
  /** The hub's heat tank (thermal storage). */
  heat_tank: Storage;
}

/** Electric bus with its nominal load. */
export interface Bus {
  /** Bus id (integer >= 1). */
  id: number;
  /** Id of the hub on this bus, or null (optional: derived from `hubs[].electric_bus`; when given it must agree). */
  hub: number | null;
  /** True on the slack bus only (optional: derived from `electric.slack_bus`; when given it must agree). */
  slack: boolean;
  /** Nominal active load, kW (scaled by the hour's load factor). */
  p_kw: number;
  /** Nominal reactive load, kvar (scaled by the hour's load factor). */
  q_kvar: number;
}

/** Electric branch, directed from → to. */
export interface Branch {
  /** Branch id (integer >= 1). */
  id: number;
  /** Id of the bus the branch leaves. */
  from: number;
  /** Id of the bus the branch reaches. */
  to: number;
  /** Resistance, Ω. */
  r_ohm: number;
  /** Reactance, Ω. */
  x_ohm: number;
}

/** District-heating node with its nominal load. */
export interface HeatNode {
  /** Node id (integer >= 1). */
  id: number;
  /** Id of the hub at this node, or null (optional: derived from `hubs[].heat_node`; when given it must agree). */
  hub: number | null;
  /** Nominal heat load, kW (scaled by the hour's load factor). */
  load_kw: number;
}

/** District-heating pipe. */
export interface HeatPipe {
  /** Pipe id (integer >= 1). */
  id: number;
  /** Id of the node the pipe leaves. */
  from: number;
  /** Id of the node the pipe reaches. */
  to: number;
  /** Length, m. */
  length_m: number;
  /** Inner diameter, m (informational, optional: the linear model does not use it). */
  diameter_m?: number;
  /** Wall roughness, m (informational, optional: the linear model does not use it). */
  roughness_m?: number;
  /** Heat loss per metre and kelvin above ambient, W/(m K). */
  heat_loss_coefficient: number;
}

/** Gas node; `load_kw` is gas power (divide by the heating value for m³/h). */
export interface GasNode {
  /** Node id (integer >= 1). */
  id: number;
  /** Id of the hub at this node, or null (optional: derived from `hubs[].gas_node`; when given it must agree). */
  hub: number | null;
  /** True on the source node only (optional: derived from `gas.source_node`; when given it must agree). */
  source: boolean;
  /** Gas load, kW of gas power (not scaled by the load factor). */
  load_kw: number;
}

/** Gas pipe. */
export interface GasPipe {
  /** Pipe id (integer >= 1). */
  id: number;
  /** Id of the node the pipe leaves. */
  from: number;
  /** Id of the node the pipe reaches. */
  to: number;
  /** Length, m (informational, optional: the linear model's gas flows are lossless). */
  length_m?: number;
  /** Diameter as published, unit not stated (informational, optional: the linear model does not use it). */
  diameter?: number;
}

/**
 * The whole case, as in `problems/ies-dispatch/data/uom-ies.json`.
 *
 * @example
 * ```ts
 * import { loadUomCase } from "./case.ts";
 * const ies = await loadUomCase();
 * console.log(ies.horizon_hours, ies.hubs.length, ies.grid.import_price_usd_per_kwh.length); // 24 8 24
 * ```
 */
export interface IesCase {
  /** Name of the case (no unit). */
  name: string;
  /** Periods of the horizon, h (each period is one hour; 1 to {@link MAX_HORIZON_HOURS}, usually 24). */
  horizon_hours: number;
  /** The upstream grid. */
  grid: {
    /** Id of the bus the grid feeds. */
    bus: number;
    /** Import price of each hour, $ per kWh. */
    import_price_usd_per_kwh: number[];
    /** Export to the grid (optional, default false; must be false: export is not modelled). */
    export_allowed: boolean;
  };
  /** Factor of each hour applied to every nominal electric and heat load (dimensionless; optional, default 1 every hour). */
  load_factor: number[];
  /** The electric distribution network. */
  electric: {
    /** Nominal voltage, kV. */
    nominal_kv: number;
    /** Lowest and highest voltage, per unit of the nominal voltage. */
    voltage_limits_pu: [number, number];
    /** Id of the slack bus, held at 1.0 pu. */
    slack_bus: number;
    /** Every bus. */
    buses: Bus[];
    /** Every branch (a radial network; optional, default none). */
    branches: Branch[];
  };
  /** The district-heating network. */
  heat: {
    /** Supply temperature, °C. */
    supply_temperature_c: number;
    /** Nominal return temperature, °C. */
    nominal_return_temperature_c: number;
    /** Ambient temperature, °C. */
    ambient_temperature_c: number;
    /** Specific heat of water, kJ/(kg K) (informational, optional: the linear model does not use it). */
    water_cp_kj_per_kg_k?: number;
    /** Mass flow through a load, kg/s (informational, optional: the linear model does not use it). */
    load_mass_flow_kg_per_s?: number;
    /** Every node. */
    nodes: HeatNode[];
    /** Every pipe (optional, default none). */
    pipes: HeatPipe[];
  };
  /** The gas network. */
  gas: {
    /** Heating value of the gas, kWh per m³. */
    heating_value_kwh_per_m3: number;
    /** Id of the node that supplies the network. */
    source_node: number;
    /** Pressure at the source, bar (informational, optional: the linear model does not use it). */
    source_pressure_bar?: number;
    /** Weymouth constant of the pipes (informational, optional: the linear model does not use it). */
    weymouth_constant?: number;
    /** Every node. */
    nodes: GasNode[];
    /** Every pipe (optional, default none). */
    pipes: GasPipe[];
  };
  /** Every energy hub. */
  hubs: Hub[];
}

export { CaseError } from "../case_error.ts";

type Obj = Record<string, unknown>;

/** Largest magnitude of any number in a case (kW, kWh, $, Ω, m, ...): far beyond any real system, and finite. */
export const MAX_CASE_NUMBER = 1e12;

/** Most periods of a horizon, h: a leap year of hours (`horizon_hours`). */
export const MAX_HORIZON_HOURS = 366 * 24;

/** Largest id of a bus, node, branch, pipe or hub (u32). */
export const MAX_CASE_ID = 0xffff_ffff;

/** Longest case name, characters. */
export const MAX_CASE_NAME_CHARS = 256;

/** Longest `$schema` reference (a path or URL for editors), characters. */
const MAX_SCHEMA_REF_CHARS = 4096;

/** An inclusive or exclusive range of a number field (always within ±{@link MAX_CASE_NUMBER}). */
interface Range {
  /** Smallest value allowed. */
  min?: number;
  /** Values must exceed this one. */
  above?: number;
  /** Largest value allowed. */
  max?: number;
}

const ANY: Range = {};
const NON_NEGATIVE: Range = { min: 0 };
const POSITIVE: Range = { above: 0 };
/** An efficiency: in (0, 1]. */
const EFFICIENCY: Range = { above: 0, max: 1 };
/** A share: in [0, 1]. */
const SHARE: Range = { min: 0, max: 1 };

/** The keys of each kind of object of the format: any other key is an error. */
const FIELDS = {
  case: ["$schema", "name", "horizon_hours", "grid", "load_factor", "electric", "heat", "gas", "hubs"],
  grid: ["bus", "import_price_usd_per_kwh", "export_allowed"],
  electric: ["nominal_kv", "voltage_limits_pu", "slack_bus", "buses", "branches"],
  bus: ["id", "hub", "slack", "p_kw", "q_kvar"],
  branch: ["id", "from", "to", "r_ohm", "x_ohm"],
  heat: [
    "supply_temperature_c",
    "nominal_return_temperature_c",
    "ambient_temperature_c",
    "water_cp_kj_per_kg_k",
    "load_mass_flow_kg_per_s",
    "nodes",
    "pipes",
  ],
  heatNode: ["id", "hub", "load_kw"],
  heatPipe: ["id", "from", "to", "length_m", "diameter_m", "roughness_m", "heat_loss_coefficient"],
  gas: [
    "heating_value_kwh_per_m3",
    "source_node",
    "source_pressure_bar",
    "weymouth_constant",
    "nodes",
    "pipes",
  ],
  gasNode: ["id", "hub", "source", "load_kw"],
  gasPipe: ["id", "from", "to", "length_m", "diameter"],
  hub: ["id", "electric_bus", "heat_node", "gas_node", "chp", "gas_boiler", "battery", "heat_tank"],
  chp: ["max_kva", "electric_efficiency", "heat_to_power_ratio", "cost_usd"],
  chpCost: ["a_per_mw2", "b_per_mw", "c_per_mw2", "d_per_mw", "e_per_mw2"],
  boiler: ["max_heat_kw", "efficiency", "cost_usd_per_kwh_heat"],
  storage: [
    "capacity_kwh",
    "min_kwh",
    "initial_kwh",
    "max_charge_kw",
    "max_discharge_kw",
    "efficiency",
    "retention",
  ],
} as const satisfies Record<string, readonly string[]>;

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function unknownField(path: string, key: string, known: readonly string[]): CaseError {
  return new CaseError(join(path, shownText(key)), unknownFieldDetail(key, known));
}

function rangeText(r: Range): string {
  const lo = r.above !== undefined ? `> ${r.above}` : r.min !== undefined ? `>= ${r.min}` : undefined;
  if (r.max === undefined) return lo ?? `from -${MAX_CASE_NUMBER} to ${MAX_CASE_NUMBER}`;
  if (r.above !== undefined) return `in (${r.above}, ${r.max}]`;
  return r.min !== undefined ? `in [${r.min}, ${r.max}]` : `<= ${r.max}`;
}

function checkNum(v: unknown, path: string, r: Range): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new CaseError(path, `expected a finite number, found ${describeJson(v)}`);
  }
  const tooLow = (r.min !== undefined && v < r.min) || (r.above !== undefined && v <= r.above);
  if (tooLow || (r.max !== undefined && v > r.max)) {
    throw new CaseError(path, `expected a number ${rangeText(r)}, found ${v}`);
  }
  if (Math.abs(v) > MAX_CASE_NUMBER) {
    throw new CaseError(path, `expected a number from -${MAX_CASE_NUMBER} to ${MAX_CASE_NUMBER}, found ${v}`);
  }
  return v;
}

/**
 * Reads the fields of one object of the format, recording its path for error messages. An
 * object holding a key outside its {@link FIELDS} list is refused when the reader is made;
 * {@link Reader.done} checks that every listed field was read (a bug otherwise).
 */
class Reader {
  private readonly asked = new Set<string>();

  constructor(
    private readonly obj: Obj,
    readonly path: string,
    /** The path with every index as `[]`, e.g. `hubs[].chp`. */
    private readonly shape: string,
    private readonly known: readonly string[],
    /** Collects the shape path of every field read (see {@link caseFieldPaths}). */
    private readonly trace?: Set<string>,
  ) {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) throw unknownField(path, key, known);
    }
  }

  static root(value: unknown, trace?: Set<string>): Reader {
    if (!isJsonObject(value)) throw new CaseError("", `expected an object, found ${describeJson(value)}`);
    return new Reader(value, "", "", FIELDS.case, trace);
  }

  /** Whether the field is given (a field holding `undefined`, which JSON cannot, counts as absent). */
  has(key: string): boolean {
    if (!this.known.includes(key)) {
      throw new Error(`case.ts reads ${join(this.shape, key)}, which FIELDS omits`);
    }
    this.asked.add(key);
    this.trace?.add(join(this.shape, key));
    return Object.hasOwn(this.obj, key) && this.obj[key] !== undefined;
  }

  private raw(key: string): unknown {
    if (!this.has(key)) throw new CaseError(join(this.path, key), "missing field");
    return this.obj[key];
  }

  /** A finite number within `range`. */
  num(key: string, range: Range = ANY): number {
    return checkNum(this.raw(key), join(this.path, key), range);
  }

  /** An optional number: `fallback` when absent. */
  numOr(key: string, fallback: number, range: Range = ANY): number {
    return this.has(key) ? this.num(key, range) : fallback;
  }

  /** An optional informational number: `{ key: value }` when given, else `{}`. */
  info<K extends string>(key: K, range: Range = NON_NEGATIVE): { [k in K]?: number } {
    return this.has(key) ? { [key]: this.num(key, range) } as { [k in K]: number } : {};
  }

  /** An integer from `min` to `max`. */
  int(key: string, min: number, max: number): number {
    const v = this.num(key, { min, max });
    if (!Number.isInteger(v)) throw new CaseError(join(this.path, key), `expected an integer, found ${v}`);
    return v;
  }

  /** An id: an integer from 1 to {@link MAX_CASE_ID}. */
  id(key: string): number {
    return this.int(key, 1, MAX_CASE_ID);
  }

  /** An optional id or null: undefined when absent. */
  optId(key: string): number | null | undefined {
    if (!this.has(key)) return undefined;
    return this.obj[key] === null ? null : this.id(key);
  }

  bool(key: string): boolean {
    const v = this.raw(key);
    if (typeof v !== "boolean") {
      throw new CaseError(join(this.path, key), `expected true or false, found ${describeJson(v)}`);
    }
    return v;
  }

  optBool(key: string): boolean | undefined {
    return this.has(key) ? this.bool(key) : undefined;
  }

  str(key: string, maxChars: number): string {
    const v = this.raw(key);
    if (typeof v !== "string") {
      throw new CaseError(join(this.path, key), `expected a string, found ${describeJson(v)}`);
    }
    if (v.length > maxChars) {
      throw new CaseError(join(this.path, key), `${v.length} characters; at most ${maxChars} are allowed`);
    }
    return v;
  }

  /** Reads the object at `key` with `read`, then checks that it read every field. */
  sub<T>(key: string, known: readonly string[], read: (r: Reader) => T): T {
    const v = this.raw(key);
    const p = join(this.path, key);
    if (!isJsonObject(v)) throw new CaseError(p, `expected an object, found ${describeJson(v)}`);
    return new Reader(v, p, join(this.shape, key), known, this.trace).read(read);
  }

  /** Reads every object of the list at `key` with `each`; an absent optional list (`minLength` 0) is empty. */
  list<T>(key: string, known: readonly string[], each: (r: Reader) => T, minLength = 1): T[] {
    if (minLength === 0 && !this.has(key)) return [];
    const v = this.raw(key);
    const p = join(this.path, key);
    if (!Array.isArray(v)) throw new CaseError(p, `expected an array, found ${describeJson(v)}`);
    if (v.length < minLength) {
      throw new CaseError(p, `expected at least ${minLength} entries, found ${v.length}`);
    }
    const shape = `${join(this.shape, key)}[]`;
    return v.map((item, i) => {
      const ip = join(p, i);
      if (!isJsonObject(item)) throw new CaseError(ip, `expected an object, found ${describeJson(item)}`);
      return new Reader(item, ip, shape, known, this.trace).read(each);
    });
  }

  /** `length` numbers within `range`. */
  numbers(key: string, length: number, range: Range = ANY): number[] {
    const v = this.raw(key);
    const p = join(this.path, key);
    if (!Array.isArray(v)) throw new CaseError(p, `expected an array, found ${describeJson(v)}`);
    if (v.length !== length) {
      throw new CaseError(p, `expected ${length} numbers, found ${v.length}`);
    }
    return v.map((x, i) => checkNum(x, join(p, i), range));
  }

  /** `read(this)`, then a check that every field of this object was read. */
  read<T>(read: (r: Reader) => T): T {
    const value = read(this);
    const unread = this.known.filter((k) => !this.asked.has(k));
    if (unread.length > 0) {
      throw new Error(`case.ts never reads ${this.shape || "(root)"}.${unread.join(", ")}`);
    }
    return value;
  }
}

function readStorage(r: Reader): Storage {
  const s: Storage = {
    capacity_kwh: r.num("capacity_kwh", NON_NEGATIVE),
    min_kwh: r.numOr("min_kwh", 0, NON_NEGATIVE),
    initial_kwh: r.num("initial_kwh", NON_NEGATIVE),
    max_charge_kw: r.num("max_charge_kw", NON_NEGATIVE),
    max_discharge_kw: r.num("max_discharge_kw", NON_NEGATIVE),
    efficiency: r.num("efficiency", EFFICIENCY),
    retention: r.numOr("retention", 1, SHARE),
  };
  if (s.min_kwh > s.capacity_kwh) {
    throw new CaseError(join(r.path, "min_kwh"), `exceeds capacity_kwh (${s.capacity_kwh})`);
  }
  if (s.initial_kwh < s.min_kwh || s.initial_kwh > s.capacity_kwh) {
    throw new CaseError(
      join(r.path, "initial_kwh"),
      `must lie in [min_kwh, capacity_kwh] = [${s.min_kwh}, ${s.capacity_kwh}]`,
    );
  }
  return s;
}

function readChp(r: Reader): Chp {
  const chp: Chp = {
    max_kva: r.num("max_kva", NON_NEGATIVE),
    electric_efficiency: r.num("electric_efficiency", EFFICIENCY),
    heat_to_power_ratio: r.num("heat_to_power_ratio", NON_NEGATIVE),
    cost_usd: r.sub("cost_usd", FIELDS.chpCost, (c) => ({
      a_per_mw2: c.num("a_per_mw2"),
      b_per_mw: c.num("b_per_mw"),
      c_per_mw2: c.num("c_per_mw2"),
      d_per_mw: c.num("d_per_mw"),
      e_per_mw2: c.num("e_per_mw2"),
    })),
  };
  // Heat follows power (h = ratio p), so the cost is quad p² + lin p with quad = a + c r² + e r: the
  // piecewise-linear model of dispatch.ts is exact to its tolerance only for a convex cost.
  const { a_per_mw2: a, c_per_mw2: c, e_per_mw2: e } = chp.cost_usd;
  const ratio = chp.heat_to_power_ratio;
  const quad = a + c * ratio * ratio + e * ratio;
  if (quad < 0) {
    throw new CaseError(
      join(r.path, "cost_usd"),
      `the cost is concave in the electric output (a + c r² + e r = ${quad} $/h per MW², r the ` +
        "heat-to-power ratio); the linear model needs a convex cost",
    );
  }
  return chp;
}

function readHub(r: Reader): Hub {
  return {
    id: r.id("id"),
    electric_bus: r.id("electric_bus"),
    heat_node: r.id("heat_node"),
    gas_node: r.id("gas_node"),
    chp: r.sub("chp", FIELDS.chp, readChp),
    gas_boiler: r.sub("gas_boiler", FIELDS.boiler, (b) => ({
      max_heat_kw: b.num("max_heat_kw", NON_NEGATIVE),
      efficiency: b.num("efficiency", EFFICIENCY),
      cost_usd_per_kwh_heat: b.num("cost_usd_per_kwh_heat", NON_NEGATIVE),
    })),
    battery: r.sub("battery", FIELDS.storage, readStorage),
    heat_tank: r.sub("heat_tank", FIELDS.storage, readStorage),
  };
}

/** A node as read, its back-reference (`hub`) and flag (`slack`, `source`) still as given (undefined: absent). */
type Draft<T extends { hub: number | null }> = Omit<T, "hub"> & { hub: number | null | undefined };

/** A case as read, before its back-references are checked and filled in. */
interface DraftCase extends Omit<IesCase, "electric" | "heat" | "gas"> {
  electric: Omit<IesCase["electric"], "buses"> & { buses: (Draft<Bus> & { slackGiven?: boolean })[] };
  heat: Omit<IesCase["heat"], "nodes"> & { nodes: Draft<HeatNode>[] };
  gas: Omit<IesCase["gas"], "nodes"> & { nodes: (Draft<GasNode> & { sourceGiven?: boolean })[] };
}

function uniqueIds(items: { id: number }[], path: string): Set<number> {
  const ids = new Set<number>();
  items.forEach((it, i) => {
    if (ids.has(it.id)) throw new CaseError(`${path}[${i}].id`, `duplicate id ${it.id}`);
    ids.add(it.id);
  });
  return ids;
}

function checkRef(ids: Set<number>, id: number, path: string, what: string): void {
  if (!ids.has(id)) throw new CaseError(path, `refers to ${what} ${id}, which does not exist`);
}

/**
 * Validates parsed JSON as an {@link IesCase}. Throws {@link CaseError}
 * naming the first bad field. Optional fields are filled in (docs/case-format.md).
 *
 * @example
 * ```ts
 * import { parseCase } from "./case.ts";
 * try {
 *   parseCase({ name: "x" });
 * } catch (e) {
 *   console.log((e as Error).message); // "horizon_hours: missing field"
 * }
 * ```
 */
export function parseCase(value: unknown, file?: string): IesCase {
  try {
    return readCase(value);
  } catch (e) {
    if (e instanceof CaseError && file) throw new CaseError(e.path, e.detail, file);
    throw e;
  }
}

/**
 * Every field path the validator reads from a case, sorted, each index written `[]`
 * (`hubs[].chp.max_kva`): optional fields count whether given or not, the fields of
 * list entries only when the list has one. Validates `value` as {@link parseCase} does.
 * The JSON Schema `case.schema.json` names exactly these fields (a test checks it).
 *
 * @example
 * ```ts
 * import { caseFieldPaths, UOM_CASE_URL } from "./case.ts";
 * const paths = caseFieldPaths(JSON.parse(await Deno.readTextFile(UOM_CASE_URL)));
 * console.log(paths.includes("hubs[].battery.retention"), paths.includes("$schema")); // true true
 * ```
 */
export function caseFieldPaths(value: unknown): string[] {
  const trace = new Set<string>();
  readCase(value, trace);
  return [...trace].sort();
}

function readCase(value: unknown, trace?: Set<string>): IesCase {
  return Reader.root(value, trace).read((r) => {
    if (r.has("$schema")) r.str("$schema", MAX_SCHEMA_REF_CHARS);
    const horizon = r.int("horizon_hours", 1, MAX_HORIZON_HOURS);
    const draft: DraftCase = {
      name: r.str("name", MAX_CASE_NAME_CHARS),
      horizon_hours: horizon,
      grid: r.sub("grid", FIELDS.grid, (g) => ({
        bus: g.id("bus"),
        import_price_usd_per_kwh: g.numbers("import_price_usd_per_kwh", horizon, NON_NEGATIVE),
        export_allowed: g.optBool("export_allowed") ?? false,
      })),
      load_factor: r.has("load_factor")
        ? r.numbers("load_factor", horizon, NON_NEGATIVE)
        : Array.from({ length: horizon }, () => 1),
      electric: r.sub("electric", FIELDS.electric, readElectric),
      heat: r.sub("heat", FIELDS.heat, readHeat),
      gas: r.sub("gas", FIELDS.gas, readGas),
      hubs: r.list("hubs", FIELDS.hub, readHub),
    };
    if (draft.grid.export_allowed) {
      throw new CaseError(
        "grid.export_allowed",
        "export to the grid is not modelled; leave it out or set false",
      );
    }
    return crossCheck(draft);
  });
}

function readElectric(el: Reader): DraftCase["electric"] {
  return {
    nominal_kv: el.num("nominal_kv", POSITIVE),
    voltage_limits_pu: el.numbers("voltage_limits_pu", 2, NON_NEGATIVE) as [number, number],
    slack_bus: el.id("slack_bus"),
    buses: el.list("buses", FIELDS.bus, (b) => ({
      id: b.id("id"),
      hub: b.optId("hub"),
      slack: false,
      slackGiven: b.optBool("slack"),
      p_kw: b.num("p_kw"),
      q_kvar: b.num("q_kvar"),
    })),
    branches: el.list("branches", FIELDS.branch, (b) => ({
      id: b.id("id"),
      from: b.id("from"),
      to: b.id("to"),
      r_ohm: b.num("r_ohm", NON_NEGATIVE),
      x_ohm: b.num("x_ohm", NON_NEGATIVE),
    }), 0),
  };
}

function readHeat(heat: Reader): DraftCase["heat"] {
  return {
    supply_temperature_c: heat.num("supply_temperature_c"),
    nominal_return_temperature_c: heat.num("nominal_return_temperature_c"),
    ambient_temperature_c: heat.num("ambient_temperature_c"),
    ...heat.info("water_cp_kj_per_kg_k"),
    ...heat.info("load_mass_flow_kg_per_s"),
    nodes: heat.list("nodes", FIELDS.heatNode, (n) => ({
      id: n.id("id"),
      hub: n.optId("hub"),
      load_kw: n.num("load_kw"),
    })),
    pipes: heat.list("pipes", FIELDS.heatPipe, (p) => ({
      id: p.id("id"),
      from: p.id("from"),
      to: p.id("to"),
      length_m: p.num("length_m", NON_NEGATIVE),
      ...p.info("diameter_m"),
      ...p.info("roughness_m"),
      heat_loss_coefficient: p.num("heat_loss_coefficient", NON_NEGATIVE),
    }), 0),
  };
}

function readGas(gas: Reader): DraftCase["gas"] {
  return {
    heating_value_kwh_per_m3: gas.num("heating_value_kwh_per_m3", POSITIVE),
    source_node: gas.id("source_node"),
    ...gas.info("source_pressure_bar"),
    ...gas.info("weymouth_constant"),
    nodes: gas.list("nodes", FIELDS.gasNode, (n) => ({
      id: n.id("id"),
      hub: n.optId("hub"),
      source: false,
      sourceGiven: n.optBool("source"),
      load_kw: n.num("load_kw"),
    })),
    pipes: gas.list("pipes", FIELDS.gasPipe, (p) => ({
      id: p.id("id"),
      from: p.id("from"),
      to: p.id("to"),
      ...p.info("length_m"),
      ...p.info("diameter"),
    }), 0),
  };
}

/** Ids unique per table, every reference to an existing node, no branch or pipe from a node to itself. */
function checkReferences(
  c: DraftCase,
): { buses: Set<number>; heatNodes: Set<number>; gasNodes: Set<number> } {
  const [vmin, vmax] = c.electric.voltage_limits_pu;
  if (vmin > vmax) {
    throw new CaseError("electric.voltage_limits_pu", `lower limit ${vmin} exceeds upper ${vmax}`);
  }
  const buses = uniqueIds(c.electric.buses, "electric.buses");
  const heatNodes = uniqueIds(c.heat.nodes, "heat.nodes");
  const gasNodes = uniqueIds(c.gas.nodes, "gas.nodes");
  const hubs = uniqueIds(c.hubs, "hubs");
  uniqueIds(c.electric.branches, "electric.branches");
  uniqueIds(c.heat.pipes, "heat.pipes");
  uniqueIds(c.gas.pipes, "gas.pipes");
  checkRef(buses, c.grid.bus, "grid.bus", "bus");
  checkRef(buses, c.electric.slack_bus, "electric.slack_bus", "bus");
  checkRef(gasNodes, c.gas.source_node, "gas.source_node", "gas node");
  const links: [string, { from: number; to: number }[], Set<number>, string][] = [
    ["electric.branches", c.electric.branches, buses, "bus"],
    ["heat.pipes", c.heat.pipes, heatNodes, "heat node"],
    ["gas.pipes", c.gas.pipes, gasNodes, "gas node"],
  ];
  for (const [path, edges, nodes, what] of links) {
    edges.forEach((e, i) => {
      checkRef(nodes, e.from, `${path}[${i}].from`, what);
      checkRef(nodes, e.to, `${path}[${i}].to`, what);
      if (e.from === e.to) throw new CaseError(`${path}[${i}].to`, `joins ${what} ${e.from} to itself`);
    });
  }
  const nodeHubs: [string, { hub: number | null | undefined }[]][] = [
    ["electric.buses", c.electric.buses],
    ["heat.nodes", c.heat.nodes],
    ["gas.nodes", c.gas.nodes],
  ];
  for (const [path, nodes] of nodeHubs) {
    nodes.forEach((n, i) => {
      if (typeof n.hub === "number") checkRef(hubs, n.hub, `${path}[${i}].hub`, "hub");
    });
  }
  c.hubs.forEach((h, i) => {
    checkRef(buses, h.electric_bus, `hubs[${i}].electric_bus`, "bus");
    checkRef(heatNodes, h.heat_node, `hubs[${i}].heat_node`, "heat node");
    checkRef(gasNodes, h.gas_node, `hubs[${i}].gas_node`, "gas node");
  });
  return { buses, heatNodes, gasNodes };
}

/**
 * The hub on each node, from the hubs' `field`: at most one hub per node, and a node's
 * `hub`, when given, must name exactly that hub (null: none).
 */
function hubsOnNodes(
  hubs: Hub[],
  field: "electric_bus" | "heat_node" | "gas_node",
  nodes: { id: number; hub: number | null | undefined }[],
  path: string,
  what: string,
): (number | null)[] {
  const onNode = new Map<number, number>();
  hubs.forEach((h, i) => {
    const j = onNode.get(h[field]);
    if (j !== undefined) {
      throw new CaseError(
        `hubs[${i}].${field}`,
        `${what} ${h[field]} already holds hub ${
          hubs[j].id
        } (hubs[${j}].${field}); a ${what} holds at most ` +
          `one hub (join a second one through a ${
            field === "electric_bus" ? "zero-impedance branch" : "pipe"
          })`,
      );
    }
    onNode.set(h[field], i);
  });
  return nodes.map((node, k) => {
    const i = onNode.get(node.id);
    const sitting = i === undefined ? null : hubs[i].id;
    if (node.hub === undefined || node.hub === sitting) return sitting;
    const at = `${path}[${k}].hub`;
    if (node.hub === null) {
      throw new CaseError(at, `is null, but hub ${sitting} sits on ${what} ${node.id} (hubs[${i}].${field})`);
    }
    const named = hubs.findIndex((h) => h.id === node.hub);
    throw new CaseError(
      at,
      `names hub ${node.hub}, whose ${field} is ${hubs[named][field]} (hubs[${named}].${field}), ` +
        `not ${what} ${node.id}`,
    );
  });
}

/** A flag that marks the one node a network field names: when given, it must agree with that field. */
function checkFlag(
  given: boolean | undefined,
  isIt: boolean,
  path: string,
  field: string,
  id: number,
): boolean {
  if (given !== undefined && given !== isIt) {
    throw new CaseError(
      path,
      given
        ? `is true, but ${field} is ${id}: only that node is marked`
        : `is false, but ${field} names this node`,
    );
  }
  return isIt;
}

function crossCheck(c: DraftCase): IesCase {
  checkReferences(c);
  const busHubs = hubsOnNodes(c.hubs, "electric_bus", c.electric.buses, "electric.buses", "bus");
  const heatHubs = hubsOnNodes(c.hubs, "heat_node", c.heat.nodes, "heat.nodes", "heat node");
  const gasHubs = hubsOnNodes(c.hubs, "gas_node", c.gas.nodes, "gas.nodes", "gas node");
  const { slack_bus: slack } = c.electric, { source_node: source } = c.gas;
  return {
    ...c,
    electric: {
      ...c.electric,
      buses: c.electric.buses.map(({ slackGiven, ...b }, i) => ({
        ...b,
        hub: busHubs[i],
        slack: checkFlag(
          slackGiven,
          b.id === slack,
          `electric.buses[${i}].slack`,
          "electric.slack_bus",
          slack,
        ),
      })),
    },
    heat: { ...c.heat, nodes: c.heat.nodes.map((n, i) => ({ ...n, hub: heatHubs[i] })) },
    gas: {
      ...c.gas,
      nodes: c.gas.nodes.map(({ sourceGiven, ...n }, i) => ({
        ...n,
        hub: gasHubs[i],
        source: checkFlag(sourceGiven, n.id === source, `gas.nodes[${i}].source`, "gas.source_node", source),
      })),
    },
  };
}

/**
 * Largest case file, bytes (16 MiB). The bundled case is 30 kB; a case of a
 * few hundred hubs and buses stays far below.
 */
export const MAX_CASE_BYTES = 16 * 1024 * 1024;

/**
 * Reads and validates a case file (JSON). Errors name the file and the field.
 * A file larger than {@link MAX_CASE_BYTES} is refused without reading further.
 *
 * @example
 * ```ts
 * import { loadCaseFile } from "./case.ts";
 * const ies = await loadCaseFile("problems/ies-dispatch/data/uom-ies.json");
 * console.log(ies.hubs.length); // 8
 * ```
 */
export function loadCaseFile(path: string | URL): Promise<IesCase> {
  return loadJsonCase(path, MAX_CASE_BYTES, "case files", parseCase);
}

/** URL of the bundled University of Manchester case file (`problems/ies-dispatch/data/uom-ies.json`). */
export const UOM_CASE_URL: URL = new URL("./data/uom-ies.json", import.meta.url);

/**
 * Loads the bundled University of Manchester case ({@link UOM_CASE_URL}); needs read permission.
 *
 * @example
 * ```ts
 * import { loadUomCase } from "./case.ts";
 * const ies = await loadUomCase();
 * console.log(ies.name); // "University of Manchester integrated energy system (PoSo case study)"
 * ```
 */
export function loadUomCase(): Promise<IesCase> {
  return loadCaseFile(UOM_CASE_URL);
}
