/**
 * A multi-energy market case (the Wuzhong district of the published trading
 * experiment): communities with loads, renewables and energy-conversion
 * devices, the grid and one heat plant per heat zone as outside sellers, and
 * the gas price. The validator checks every field's type and range, refuses
 * unknown keys (suggesting a close match), and checks what the market's
 * mathematics needs: every device curve concave and rising over its input
 * range, every community able to meet its cooling load, every heat zone with
 * exactly one heat plant. Errors are {@link CaseError}s naming the file and the
 * field path, e.g. `wuzhong-12.json: communities[3].chp[0].electricity.a:
 * expected a number in [-1000, 0), found 0.1`.
 *
 * Units are part of every field name: power in MW (= MWh in the one-hour
 * period), prices in CNY/MWh, costs in CNY per hour. docs/market.md describes
 * the format and the model; `case.schema.json` next to this file is the same
 * format as a JSON Schema.
 *
 * A validated case keeps the file's own shape (optional lists filled in), so
 * validating it again gives the same case.
 *
 * @module
 */
import { nearestKey } from "../../actors/files.ts";
import { loadJsonCase } from "../case_json.ts";
import { CaseError } from "../case_error.ts";

/** A device's conversion curve: output = a·input² + c·input (MW), concave (a < 0) and rising over the input range. */
export interface Curve {
  /** Quadratic coefficient, per MW (negative). */
  a: number;
  /** Linear coefficient (dimensionless, positive). */
  c: number;
}

/** Combined heat and power unit: gas in, electricity and heat out (two curves of the same input). */
export interface Chp {
  /** Largest gas input, MW. */
  gas_max_mw: number;
  /** Smallest gas input, MW. */
  gas_min_mw: number;
  /** Electricity output curve. */
  electricity: Curve;
  /** Heat output curve. */
  heat: Curve;
}

/** Ground-source heat pump: electricity in, cooling and heat out (two curves of the same input). */
export interface Gshp {
  /** Largest electricity input, MW. */
  electricity_max_mw: number;
  /** Smallest electricity input, MW. */
  electricity_min_mw: number;
  /** Cooling output curve. */
  cooling: Curve;
  /** Heat output curve. */
  heat: Curve;
}

/** Electric chiller ("CERG"): electricity in, cooling out. */
export interface Cerg {
  /** Largest electricity input, MW. */
  electricity_max_mw: number;
  /** Smallest electricity input, MW. */
  electricity_min_mw: number;
  /** Cooling output curve. */
  cooling: Curve;
}

/** Absorption chiller ("WARG"): heat in, cooling out. */
export interface Warg {
  /** Largest heat input, MW. */
  heat_max_mw: number;
  /** Smallest heat input, MW. */
  heat_min_mw: number;
  /** Cooling output curve. */
  cooling: Curve;
}

/** Gas boiler: gas in, heat out. */
export interface GasBoiler {
  /** Largest gas input, MW. */
  gas_max_mw: number;
  /** Smallest gas input, MW. */
  gas_min_mw: number;
  /** Heat output curve. */
  heat: Curve;
}

/** A community's own power plant: output P in [min, max] MW at cost quadratic·P² + linear·P + constant CNY/h. */
export interface PowerPlant {
  /** Cost coefficients. */
  cost_cny_per_h: {
    /** CNY/h per MW² (positive: a strictly convex cost, so the plant's best output is unique). */
    quadratic: number;
    /** CNY/h per MW. */
    linear: number;
    /** CNY/h (a fixed cost: it changes no decision, only the total). */
    constant: number;
  };
  /** Smallest output, MW (the plant runs for the whole hour). */
  min_mw: number;
  /** Largest output, MW. */
  max_mw: number;
}

/** The loads of a community for the hour, MW. */
export interface Loads {
  /** Electricity load, MW. */
  electricity: number;
  /** Heat load, MW. */
  heat: number;
  /** Cooling load, MW (met by the community's own devices: there is no cooling market). */
  cooling: number;
}

/** One community: a market participant that buys (or sells) electricity and heat and buys gas. */
export interface Community {
  /** Community id (integer >= 1, unique). */
  id: number;
  /** Id of the heat zone whose heat market it trades in. */
  heat_zone: number;
  /** Its loads for the hour. */
  load_mw: Loads;
  /** Renewable injection, MW (fixed: not curtailed). */
  renewable_mw: number;
  /** CHP units. */
  chp: Chp[];
  /** Ground-source heat pumps. */
  gshp: Gshp[];
  /** Electric chillers. */
  cerg: Cerg[];
  /** Absorption chillers. */
  warg: Warg[];
  /** Gas boilers. */
  gas_boiler: GasBoiler[];
  /** Its power plant, or null. */
  power_plant: PowerPlant | null;
}

/** The grid: an outside seller of electricity (no export). */
export interface Grid {
  /** Its price, CNY/MWh. */
  price_cny_per_mwh: number;
  /** Most it supplies, MW. */
  max_mw: number;
  /** Export to the grid: must be false (the market has no export). */
  export: false;
}

/** A heat zone's heat plant: an outside seller on that zone's heat market. */
export interface HeatPlant {
  /** The zone it supplies (and names). */
  heat_zone: number;
  /** Its price, CNY/MWh. */
  price_cny_per_mwh: number;
  /** Least it supplies, MW. */
  min_mw: number;
  /** Most it supplies, MW. */
  max_mw: number;
}

/** A market case, as its file holds it. */
export interface MarketCase {
  /** The file's JSON Schema, for editors (ignored). */
  $schema?: string;
  /** Name of the case (recorded in a chain's genesis). */
  name: string;
  /** Where the data come from (informational). */
  source?: string;
  /** The units, in words (informational). */
  units?: { power?: string; price?: string; cost?: string };
  /** The conversion law, in words (informational). */
  conversion?: string;
  /** Corrections made to the published data, in words (kept as data; informational). */
  corrections: string[];
  /** Price of gas, CNY/MWh (gas is bought at this price, not traded). */
  gas_price_cny_per_mwh: number;
  /** The grid. */
  grid: Grid;
  /** One heat plant per heat zone. */
  heat_plants: HeatPlant[];
  /** The communities. */
  communities: Community[];
}

/** Most communities a case may have (the bundled cases have 12 and 120). */
export const MAX_COMMUNITIES = 2000;

/** Most devices of one kind in one community. */
export const MAX_DEVICES_PER_KIND = 16;

/** Largest power of any field, MW (a load, a device limit, a seller's maximum). */
export const MAX_MW = 1e6;

/** Largest price of any field, CNY/MWh. */
export const MAX_PRICE_CNY_PER_MWH = 1e6;

/** Largest |a| of a curve, per MW; and the largest linear coefficient c (dimensionless). */
export const MAX_CURVE_COEFFICIENT = 1000;

/** Largest plant cost coefficient (quadratic CNY/h per MW², linear CNY/h per MW, constant CNY/h). */
export const MAX_PLANT_COEFFICIENT = 1e6;

/** Largest community or heat-zone id. */
export const MAX_MARKET_ID = 1e6;

/** Longest `name`, characters. */
export const MAX_MARKET_NAME_CHARS = 256;

/** Longest informational text (`source`, `conversion`, a unit, a correction), characters. */
export const MAX_INFO_CHARS = 2000;

/** Most entries of `corrections`. */
export const MAX_CORRECTIONS = 64;

/** Largest case file read, bytes (8 MiB; the 120-community file has 134 kB). */
export const MAX_MARKET_CASE_BYTES = 8 * 1024 * 1024;

/** The device kinds: their input commodity and the outputs they have a curve for, in field order. */
export const DEVICE_KINDS = {
  chp: { input: "gas", outputs: ["electricity", "heat"] },
  gshp: { input: "electricity", outputs: ["cooling", "heat"] },
  cerg: { input: "electricity", outputs: ["cooling"] },
  warg: { input: "heat", outputs: ["cooling"] },
  gas_boiler: { input: "gas", outputs: ["heat"] },
} as const;

/** A device kind's key in a community. */
export type DeviceKind = keyof typeof DEVICE_KINDS;

/** Device kinds in the order a community lists them (and the certificate lays them out). */
export const DEVICE_KIND_ORDER: readonly DeviceKind[] = ["chp", "gshp", "cerg", "warg", "gas_boiler"];

const ROOT_KEYS = [
  "$schema",
  "name",
  "source",
  "units",
  "conversion",
  "corrections",
  "gas_price_cny_per_mwh",
  "grid",
  "heat_plants",
  "communities",
] as const;
const COMMUNITY_KEYS = [
  "id",
  "heat_zone",
  "load_mw",
  "renewable_mw",
  ...DEVICE_KIND_ORDER,
  "power_plant",
] as const;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v;
}

/** A key as an error shows it (at most 40 characters). */
const shown = (key: string) => key.length > 40 ? `${key.slice(0, 40)}…` : key;

/** A numeric range: `min`/`max` inclusive, `below` exclusive upper bound, `above` exclusive lower bound. */
interface Range {
  min?: number;
  above?: number;
  max?: number;
  below?: number;
}

function rangeText(r: Range): string {
  const lo = r.above !== undefined ? `(${r.above}` : `[${r.min}`;
  const hi = r.below !== undefined ? `${r.below})` : `${r.max}]`;
  return `in ${lo}, ${hi}`;
}

/** Reads one object: refuses unknown keys, names every field it reads by its path. */
class Fields {
  constructor(
    readonly obj: Obj,
    readonly path: string,
    readonly file: string | undefined,
    known: readonly string[],
  ) {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const near = nearestKey(key, known);
      throw this.error(
        this.at(shown(key)),
        near ? `unknown key; did you mean ${near}?` : `unknown key (the keys here are ${known.join(", ")})`,
      );
    }
  }

  at(key: string | number): string {
    if (typeof key === "number") return `${this.path}[${key}]`;
    return this.path ? `${this.path}.${key}` : key;
  }

  error(path: string, detail: string): CaseError {
    return new CaseError(path, detail, this.file);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== undefined;
  }

  raw(key: string): unknown {
    if (!this.has(key)) throw this.error(this.at(key), "missing field");
    return this.obj[key];
  }

  num(key: string, r: Range): number {
    const v = this.raw(key), p = this.at(key);
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw this.error(p, `expected a finite number, found ${describe(v)}`);
    }
    const low = r.above !== undefined ? v <= r.above : v < r.min!;
    const high = r.below !== undefined ? v >= r.below : v > r.max!;
    if (low || high) throw this.error(p, `expected a number ${rangeText(r)}, found ${v}`);
    return v;
  }

  int(key: string, min: number, max: number): number {
    const v = this.num(key, { min, max });
    if (!Number.isInteger(v)) throw this.error(this.at(key), `expected an integer, found ${v}`);
    return v;
  }

  text(key: string, maxChars: number): string {
    const v = this.raw(key);
    if (typeof v !== "string") throw this.error(this.at(key), `expected a string, found ${describe(v)}`);
    if (v.length > maxChars) {
      throw this.error(this.at(key), `has ${v.length} characters, at most ${maxChars} are allowed`);
    }
    return v;
  }

  sub(key: string, known: readonly string[]): Fields {
    const v = this.raw(key);
    if (!isObject(v)) throw this.error(this.at(key), `expected an object, found ${describe(v)}`);
    return new Fields(v, this.at(key), this.file, known);
  }

  list(key: string, minLength: number, maxLength: number): unknown[] {
    const v = this.raw(key);
    if (!Array.isArray(v)) throw this.error(this.at(key), `expected an array, found ${describe(v)}`);
    if (v.length < minLength || v.length > maxLength) {
      throw this.error(this.at(key), `expected ${minLength} to ${maxLength} entries, found ${v.length}`);
    }
    return v;
  }

  objects(key: string, minLength: number, maxLength: number, known: readonly string[]): Fields[] {
    const p = this.at(key);
    return this.list(key, minLength, maxLength).map((item, i) => {
      if (!isObject(item)) throw this.error(`${p}[${i}]`, `expected an object, found ${describe(item)}`);
      return new Fields(item, `${p}[${i}]`, this.file, known);
    });
  }
}

const POWER: Range = { min: 0, max: MAX_MW };
const PRICE: Range = { min: 0, max: MAX_PRICE_CNY_PER_MWH };

/** The largest output of a curve over [0, max]: its value at max (the curve rises up to max). */
export function curveAt(curve: Curve, x: number): number {
  return curve.a * x * x + curve.c * x;
}

/**
 * Reads a curve of a device whose input lies in [0, inputMax]: a in [-1000, 0), c in (0, 1000], and
 * the curve must rise over the whole input range (its peak -c/(2a) beyond the largest input), so that
 * its largest output is at the largest input and the output is never negative.
 */
function readCurve(f: Fields, key: string, inputMax: number, inputMaxKey: string): Curve {
  const r = f.sub(key, ["a", "c"]);
  const a = r.num("a", { min: -MAX_CURVE_COEFFICIENT, below: 0 });
  const c = r.num("c", { above: 0, max: MAX_CURVE_COEFFICIENT });
  const peak = -c / (2 * a);
  if (!(peak > inputMax)) {
    throw r.error(
      r.at("a"),
      `the curve ${a}·x² + ${c}·x peaks at x = ${
        Number(peak.toPrecision(6))
      } MW, not beyond ${inputMaxKey} = ${inputMax} MW: ` +
        "it must rise over the whole input range",
    );
  }
  return { a, c };
}

function readDevice(kind: DeviceKind, f: Fields): Chp | Gshp | Cerg | Warg | GasBoiler {
  const spec = DEVICE_KINDS[kind];
  const maxKey = `${spec.input}_max_mw`, minKey = `${spec.input}_min_mw`;
  const max = f.num(maxKey, POWER);
  const min = f.num(minKey, { min: 0, max });
  const device: Record<string, unknown> = { [maxKey]: max, [minKey]: min };
  for (const out of spec.outputs) device[out] = readCurve(f, out, max, maxKey);
  return device as unknown as Chp;
}

function readPlant(f: Fields): PowerPlant {
  const cost = f.sub("cost_cny_per_h", ["quadratic", "linear", "constant"]);
  const quadratic = cost.num("quadratic", { above: 0, max: MAX_PLANT_COEFFICIENT });
  const linear = cost.num("linear", { min: -MAX_PLANT_COEFFICIENT, max: MAX_PLANT_COEFFICIENT });
  const constant = cost.num("constant", { min: -MAX_PLANT_COEFFICIENT, max: MAX_PLANT_COEFFICIENT });
  const max_mw = f.num("max_mw", POWER);
  const min_mw = f.num("min_mw", { min: 0, max: max_mw });
  return { cost_cny_per_h: { quadratic, linear, constant }, min_mw, max_mw };
}

/** A community's largest cooling output, MW: every cooling device at its largest input (summed in device order). */
export function coolingCapacity(c: Community): number {
  let cap = 0;
  for (const d of c.gshp) cap += curveAt(d.cooling, d.electricity_max_mw);
  for (const d of c.cerg) cap += curveAt(d.cooling, d.electricity_max_mw);
  for (const d of c.warg) cap += curveAt(d.cooling, d.heat_max_mw);
  return cap;
}

function readCommunity(f: Fields): Community {
  const id = f.int("id", 1, MAX_MARKET_ID);
  const heat_zone = f.int("heat_zone", 1, MAX_MARKET_ID);
  const loads = f.sub("load_mw", ["electricity", "heat", "cooling"]);
  const load_mw = {
    electricity: loads.num("electricity", POWER),
    heat: loads.num("heat", POWER),
    cooling: loads.num("cooling", POWER),
  };
  const renewable_mw = f.num("renewable_mw", POWER);
  const devices = {} as Record<DeviceKind, unknown[]>;
  for (const kind of DEVICE_KIND_ORDER) {
    const spec = DEVICE_KINDS[kind];
    const keys = [`${spec.input}_max_mw`, `${spec.input}_min_mw`, ...spec.outputs];
    devices[kind] = f.has(kind)
      ? f.objects(kind, 0, MAX_DEVICES_PER_KIND, keys).map((d) => readDevice(kind, d))
      : [];
  }
  let power_plant: PowerPlant | null = null;
  if (f.has("power_plant") && f.obj.power_plant !== null) {
    power_plant = readPlant(f.sub("power_plant", ["cost_cny_per_h", "min_mw", "max_mw"]));
  }
  const c = { id, heat_zone, load_mw, renewable_mw, ...devices, power_plant } as Community;
  const cap = coolingCapacity(c);
  if (load_mw.cooling > cap) {
    throw loads.error(
      loads.at("cooling"),
      `${load_mw.cooling} MW exceeds the community's cooling capacity, ${cap.toPrecision(8)} MW ` +
        "(every GSHP, CERG and WARG at its largest input): there is no cooling market",
    );
  }
  return c;
}

/**
 * Validates a parsed market case; throws a {@link CaseError} naming the field (and `file`). Returns a
 * fresh object in the file's shape (optional device lists and `power_plant` filled in).
 *
 * @example
 * ```ts
 * import { parseMarketCase } from "./case.ts";
 * try {
 *   parseMarketCase({ name: "x", gas_price_cny_per_mwh: -1 }, "x.json");
 * } catch (e) {
 *   console.log((e as Error).message); // x.json: gas_price_cny_per_mwh: expected a number in [0, 1000000], found -1
 * }
 * ```
 */
export function parseMarketCase(value: unknown, file?: string): MarketCase {
  if (!isObject(value)) throw new CaseError("", `expected an object, found ${describe(value)}`, file);
  const f = new Fields(value, "", file, ROOT_KEYS);
  const name = f.text("name", MAX_MARKET_NAME_CHARS);
  if (name.trim() === "") throw f.error("name", "must not be empty");
  const info: Partial<MarketCase> = {};
  if (f.has("$schema")) info.$schema = f.text("$schema", MAX_INFO_CHARS);
  if (f.has("source")) info.source = f.text("source", MAX_INFO_CHARS);
  if (f.has("units")) {
    const u = f.sub("units", ["power", "price", "cost"]);
    const units: MarketCase["units"] = {};
    for (const k of ["power", "price", "cost"] as const) if (u.has(k)) units[k] = u.text(k, MAX_INFO_CHARS);
    info.units = units;
  }
  if (f.has("conversion")) info.conversion = f.text("conversion", MAX_INFO_CHARS);
  const corrections = f.has("corrections")
    ? f.list("corrections", 0, MAX_CORRECTIONS).map((v, i) => {
      if (typeof v !== "string") {
        throw f.error(`corrections[${i}]`, `expected a string, found ${describe(v)}`);
      }
      if (v.length > MAX_INFO_CHARS) {
        throw f.error(
          `corrections[${i}]`,
          `has ${v.length} characters, at most ${MAX_INFO_CHARS} are allowed`,
        );
      }
      return v;
    })
    : [];
  const gas_price_cny_per_mwh = f.num("gas_price_cny_per_mwh", PRICE);

  const g = f.sub("grid", ["price_cny_per_mwh", "max_mw", "export"]);
  const grid: Grid = {
    price_cny_per_mwh: g.num("price_cny_per_mwh", PRICE),
    max_mw: g.num("max_mw", POWER),
    export: false,
  };
  if (g.raw("export") !== false) {
    throw g.error(
      g.at("export"),
      `must be false (the market has no export), found ${describe(g.raw("export"))}`,
    );
  }

  const heat_plants = f.objects("heat_plants", 1, MAX_COMMUNITIES, [
    "heat_zone",
    "price_cny_per_mwh",
    "min_mw",
    "max_mw",
  ])
    .map((p) => {
      const heat_zone = p.int("heat_zone", 1, MAX_MARKET_ID);
      const price_cny_per_mwh = p.num("price_cny_per_mwh", PRICE);
      const max_mw = p.num("max_mw", POWER);
      return { heat_zone, price_cny_per_mwh, min_mw: p.num("min_mw", { min: 0, max: max_mw }), max_mw };
    });
  const zones = new Map<number, number>();
  heat_plants.forEach((p, i) => {
    const other = zones.get(p.heat_zone);
    if (other !== undefined) {
      throw f.error(`heat_plants[${i}].heat_zone`, `zone ${p.heat_zone} already has heat_plants[${other}]`);
    }
    zones.set(p.heat_zone, i);
  });

  const communities = f.objects("communities", 1, MAX_COMMUNITIES, COMMUNITY_KEYS).map(readCommunity);
  const ids = new Map<number, number>();
  const used = new Set<number>();
  communities.forEach((c, i) => {
    const other = ids.get(c.id);
    if (other !== undefined) {
      throw f.error(`communities[${i}].id`, `id ${c.id} is also communities[${other}]'s`);
    }
    ids.set(c.id, i);
    if (!zones.has(c.heat_zone)) {
      throw f.error(`communities[${i}].heat_zone`, `zone ${c.heat_zone} has no heat plant in heat_plants`);
    }
    used.add(c.heat_zone);
  });
  heat_plants.forEach((p, i) => {
    if (!used.has(p.heat_zone)) {
      throw f.error(`heat_plants[${i}].heat_zone`, `no community is in zone ${p.heat_zone}`);
    }
  });
  return { ...info, name, corrections, gas_price_cny_per_mwh, grid, heat_plants, communities } as MarketCase;
}

/**
 * Reads and validates a market case file (JSON, at most {@link MAX_MARKET_CASE_BYTES}); errors name the
 * file and the field.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * const c = await loadMarketCase(WUZHONG_12_URL);
 * console.log(c.communities.length, c.heat_plants.length); // 12 3
 * ```
 */
export function loadMarketCase(path: string | URL): Promise<MarketCase> {
  return loadJsonCase(path, MAX_MARKET_CASE_BYTES, "market case files", parseMarketCase);
}

/** The bundled 12-community Wuzhong case (`problems/market/data/wuzhong-12.json`). */
export const WUZHONG_12_URL: URL = new URL("./data/wuzhong-12.json", import.meta.url);

/** The bundled 120-community Wuzhong case in 30 heat zones (`problems/market/data/wuzhong-120.json`). */
export const WUZHONG_120_URL: URL = new URL("./data/wuzhong-120.json", import.meta.url);
