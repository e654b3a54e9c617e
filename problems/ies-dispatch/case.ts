/**
 * The integrated-energy-system case: its typed shape and a validator that
 * names the offending field path on bad input.
 *
 * Units are part of every field name (`_kw`, `_kwh`, `_ohm`, `_usd_per_kwh`,
 * ...); the validator checks types, ranges and cross-references (every hub
 * sits on an existing bus, heat node and gas node; every branch and pipe
 * joins existing nodes).
 *
 * @module
 */
import { InputFileError, readCappedText } from "../../actors/files.ts";

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
  /** Lowest energy held, kWh (at most the capacity). */
  min_kwh: number;
  /** Energy held at the start of the day, kWh (between the minimum and the capacity). */
  initial_kwh: number;
  /** Largest charging power, kW. */
  max_charge_kw: number;
  /** Largest discharging power, kW. */
  max_discharge_kw: number;
  /** One-way efficiency, in (0, 1] (dimensionless): delivered = eff × discharge, drawn = charge / eff. */
  efficiency: number;
  /** Share of the stored energy kept from one hour to the next, in [0, 1] (dimensionless). */
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
  /** Id of the hub on this bus, or null. */
  hub: number | null;
  /** Marks the slack bus (informational: the model uses `electric.slack_bus`). */
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
  /** Id of the hub at this node, or null. */
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
  /** Inner diameter, m (informational: the linear model does not use it). */
  diameter_m: number;
  /** Wall roughness, m (informational: the linear model does not use it). */
  roughness_m: number;
  /** Heat loss per metre and kelvin above ambient, W/(m K). */
  heat_loss_coefficient: number;
}

/** Gas node; `load_kw` is gas power (divide by the heating value for m³/h). */
export interface GasNode {
  /** Node id (integer >= 1). */
  id: number;
  /** Id of the hub at this node, or null. */
  hub: number | null;
  /** Marks the source node (informational: the model uses `gas.source_node`). */
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
  /** Length, m (informational: the linear model's gas flows are lossless). */
  length_m: number;
  /** Diameter as published, unit not stated (informational: the linear model does not use it). */
  diameter: number;
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
  /** Periods of the day, h (each period is one hour). */
  horizon_hours: number;
  /** The upstream grid. */
  grid: {
    /** Id of the bus the grid feeds. */
    bus: number;
    /** Import price of each hour, $ per kWh. */
    import_price_usd_per_kwh: number[];
    /** Export to the grid (must be false: export is not modelled). */
    export_allowed: boolean;
  };
  /** Factor of each hour applied to every nominal electric and heat load (dimensionless). */
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
    /** Every branch (a radial network). */
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
    /** Specific heat of water, kJ/(kg K) (informational: the linear model does not use it). */
    water_cp_kj_per_kg_k: number;
    /** Mass flow through a load, kg/s (informational: the linear model does not use it). */
    load_mass_flow_kg_per_s: number;
    /** Every node. */
    nodes: HeatNode[];
    /** Every pipe. */
    pipes: HeatPipe[];
  };
  /** The gas network. */
  gas: {
    /** Heating value of the gas, kWh per m³. */
    heating_value_kwh_per_m3: number;
    /** Id of the node that supplies the network. */
    source_node: number;
    /** Pressure at the source, bar (informational: the linear model does not use it). */
    source_pressure_bar: number;
    /** Weymouth constant of the pipes (informational: the linear model does not use it). */
    weymouth_constant: number;
    /** Every node. */
    nodes: GasNode[];
    /** Every pipe. */
    pipes: GasPipe[];
  };
  /** Every energy hub. */
  hubs: Hub[];
}

/**
 * A case file that does not fit the schema; `path` names the field, e.g. `hubs[2].chp.max_kva`.
 *
 * @example
 * ```ts
 * import { CaseError, parseCase } from "./case.ts";
 * try {
 *   parseCase({ name: "x", horizon_hours: 0 }, "x.json");
 * } catch (e) {
 *   if (e instanceof CaseError) console.log(e.file, e.path); // x.json horizon_hours
 * }
 * ```
 */
export class CaseError extends Error {
  /** Field path inside the case, such as `electric.branches[3].to`. */
  readonly path: string;
  /** What is wrong with the field, without file and path. */
  readonly detail: string;
  /** The file the case came from, when known. */
  readonly file?: string;
  /**
   * An error about field `path`; the message is `<file>: <path>: <detail>`.
   *
   * @param path field path inside the case ("" for the whole case)
   * @param detail what is wrong with the field
   * @param file the file the case came from, when known
   */
  constructor(path: string, detail: string, file?: string) {
    super(`${file ? `${file}: ` : ""}${path || "(root)"}: ${detail}`);
    this.name = "CaseError";
    this.path = path;
    this.detail = detail;
    this.file = file;
  }
}

type Obj = Record<string, unknown>;

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : typeof v;
}

/** Reads fields from one object, recording its path for error messages. */
class Reader {
  constructor(readonly obj: Obj, readonly path: string) {}

  static root(value: unknown): Reader {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new CaseError("", `expected an object, found ${describe(value)}`);
    }
    return new Reader(value as Obj, "");
  }

  private raw(key: string): unknown {
    if (!(key in this.obj)) {
      throw new CaseError(join(this.path, key), "missing field");
    }
    return this.obj[key];
  }

  /** A finite number with optional inclusive range. */
  num(key: string, min = -Infinity, max = Infinity): number {
    return checkNum(this.raw(key), join(this.path, key), min, max);
  }

  int(key: string, min = -Infinity): number {
    const v = this.num(key, min);
    if (!Number.isInteger(v)) {
      throw new CaseError(join(this.path, key), `expected an integer, found ${v}`);
    }
    return v;
  }

  bool(key: string): boolean {
    const v = this.raw(key);
    if (typeof v !== "boolean") {
      throw new CaseError(join(this.path, key), `expected true or false, found ${describe(v)}`);
    }
    return v;
  }

  str(key: string): string {
    const v = this.raw(key);
    if (typeof v !== "string") {
      throw new CaseError(join(this.path, key), `expected a string, found ${describe(v)}`);
    }
    return v;
  }

  /** An integer id or null. */
  optId(key: string): number | null {
    const v = this.raw(key);
    if (v === null) return null;
    return this.int(key, 1);
  }

  sub(key: string): Reader {
    const v = this.raw(key);
    const p = join(this.path, key);
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new CaseError(p, `expected an object, found ${describe(v)}`);
    }
    return new Reader(v as Obj, p);
  }

  list<T>(key: string, each: (r: Reader) => T, minLength = 1): T[] {
    const v = this.raw(key);
    const p = join(this.path, key);
    if (!Array.isArray(v)) throw new CaseError(p, `expected an array, found ${describe(v)}`);
    if (v.length < minLength) {
      throw new CaseError(p, `expected at least ${minLength} entries, found ${v.length}`);
    }
    return v.map((item, i) => {
      const ip = join(p, i);
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw new CaseError(ip, `expected an object, found ${describe(item)}`);
      }
      return each(new Reader(item as Obj, ip));
    });
  }

  numbers(key: string, length: number, min = -Infinity, max = Infinity): number[] {
    const v = this.raw(key);
    const p = join(this.path, key);
    if (!Array.isArray(v)) throw new CaseError(p, `expected an array, found ${describe(v)}`);
    if (v.length !== length) {
      throw new CaseError(p, `expected ${length} numbers, found ${v.length}`);
    }
    return v.map((x, i) => checkNum(x, join(p, i), min, max));
  }
}

function checkNum(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new CaseError(path, `expected a finite number, found ${describe(v)}`);
  }
  if (v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new CaseError(path, `expected a number ${range}, found ${v}`);
  }
  return v;
}

function readStorage(r: Reader): Storage {
  const s: Storage = {
    capacity_kwh: r.num("capacity_kwh", 0),
    min_kwh: r.num("min_kwh", 0),
    initial_kwh: r.num("initial_kwh", 0),
    max_charge_kw: r.num("max_charge_kw", 0),
    max_discharge_kw: r.num("max_discharge_kw", 0),
    efficiency: r.num("efficiency", Number.MIN_VALUE, 1),
    retention: r.num("retention", 0, 1),
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

function readHub(r: Reader): Hub {
  const chp = r.sub("chp");
  const cost = chp.sub("cost_usd");
  const boiler = r.sub("gas_boiler");
  return {
    id: r.int("id", 1),
    electric_bus: r.int("electric_bus", 1),
    heat_node: r.int("heat_node", 1),
    gas_node: r.int("gas_node", 1),
    chp: {
      max_kva: chp.num("max_kva", 0),
      electric_efficiency: chp.num("electric_efficiency", Number.MIN_VALUE, 1),
      heat_to_power_ratio: chp.num("heat_to_power_ratio", 0),
      cost_usd: {
        a_per_mw2: cost.num("a_per_mw2"),
        b_per_mw: cost.num("b_per_mw"),
        c_per_mw2: cost.num("c_per_mw2"),
        d_per_mw: cost.num("d_per_mw"),
        e_per_mw2: cost.num("e_per_mw2"),
      },
    },
    gas_boiler: {
      max_heat_kw: boiler.num("max_heat_kw", 0),
      efficiency: boiler.num("efficiency", Number.MIN_VALUE, 1),
      cost_usd_per_kwh_heat: boiler.num("cost_usd_per_kwh_heat", 0),
    },
    battery: readStorage(r.sub("battery")),
    heat_tank: readStorage(r.sub("heat_tank")),
  };
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
 * naming the first bad field.
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

function readCase(value: unknown): IesCase {
  const r = Reader.root(value);
  const horizon = r.int("horizon_hours", 1);
  const grid = r.sub("grid");
  const el = r.sub("electric");
  const heat = r.sub("heat");
  const gas = r.sub("gas");
  const c: IesCase = {
    name: r.str("name"),
    horizon_hours: horizon,
    grid: {
      bus: grid.int("bus", 1),
      import_price_usd_per_kwh: grid.numbers("import_price_usd_per_kwh", horizon, 0),
      export_allowed: grid.bool("export_allowed"),
    },
    load_factor: r.numbers("load_factor", horizon, 0),
    electric: {
      nominal_kv: el.num("nominal_kv", Number.MIN_VALUE),
      voltage_limits_pu: el.numbers("voltage_limits_pu", 2, 0) as [number, number],
      slack_bus: el.int("slack_bus", 1),
      buses: el.list("buses", (b) => ({
        id: b.int("id", 1),
        hub: b.optId("hub"),
        slack: b.bool("slack"),
        p_kw: b.num("p_kw"),
        q_kvar: b.num("q_kvar"),
      })),
      branches: el.list("branches", (b) => ({
        id: b.int("id", 1),
        from: b.int("from", 1),
        to: b.int("to", 1),
        r_ohm: b.num("r_ohm", 0),
        x_ohm: b.num("x_ohm", 0),
      }), 0),
    },
    heat: {
      supply_temperature_c: heat.num("supply_temperature_c"),
      nominal_return_temperature_c: heat.num("nominal_return_temperature_c"),
      ambient_temperature_c: heat.num("ambient_temperature_c"),
      water_cp_kj_per_kg_k: heat.num("water_cp_kj_per_kg_k", 0),
      load_mass_flow_kg_per_s: heat.num("load_mass_flow_kg_per_s", 0),
      nodes: heat.list("nodes", (n) => ({
        id: n.int("id", 1),
        hub: n.optId("hub"),
        load_kw: n.num("load_kw"),
      })),
      pipes: heat.list("pipes", (p) => ({
        id: p.int("id", 1),
        from: p.int("from", 1),
        to: p.int("to", 1),
        length_m: p.num("length_m", 0),
        diameter_m: p.num("diameter_m", 0),
        roughness_m: p.num("roughness_m", 0),
        heat_loss_coefficient: p.num("heat_loss_coefficient", 0),
      }), 0),
    },
    gas: {
      heating_value_kwh_per_m3: gas.num("heating_value_kwh_per_m3", Number.MIN_VALUE),
      source_node: gas.int("source_node", 1),
      source_pressure_bar: gas.num("source_pressure_bar", 0),
      weymouth_constant: gas.num("weymouth_constant", 0),
      nodes: gas.list("nodes", (n) => ({
        id: n.int("id", 1),
        hub: n.optId("hub"),
        source: n.bool("source"),
        load_kw: n.num("load_kw"),
      })),
      pipes: gas.list("pipes", (p) => ({
        id: p.int("id", 1),
        from: p.int("from", 1),
        to: p.int("to", 1),
        length_m: p.num("length_m", 0),
        diameter: p.num("diameter", 0),
      }), 0),
    },
    hubs: r.list("hubs", readHub),
  };
  crossCheck(c);
  return c;
}

function crossCheck(c: IesCase): void {
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
  const nodeHubs: [string, { hub: number | null }[]][] = [
    ["electric.buses", c.electric.buses],
    ["heat.nodes", c.heat.nodes],
    ["gas.nodes", c.gas.nodes],
  ];
  for (const [path, nodes] of nodeHubs) {
    nodes.forEach((n, i) => {
      if (n.hub !== null) checkRef(hubs, n.hub, `${path}[${i}].hub`, "hub");
    });
  }
  c.hubs.forEach((h, i) => {
    checkRef(buses, h.electric_bus, `hubs[${i}].electric_bus`, "bus");
    checkRef(heatNodes, h.heat_node, `hubs[${i}].heat_node`, "heat node");
    checkRef(gasNodes, h.gas_node, `hubs[${i}].gas_node`, "gas node");
  });
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
export async function loadCaseFile(path: string | URL): Promise<IesCase> {
  const file = path instanceof URL ? path.pathname : path;
  let text: string;
  try {
    text = await readCappedText(path, MAX_CASE_BYTES, "case files");
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new CaseError("", `cannot read case file: ${e.detail}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CaseError("", `not valid JSON: ${(e as Error).message}`, file);
  }
  return parseCase(json, file);
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
