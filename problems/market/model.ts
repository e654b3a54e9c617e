/**
 * One hour of a market case as the solver and the checker use it: the
 * communities sorted by id, the heat zones sorted by id, every device with
 * its curves, and the layout of a certificate's vectors.
 *
 * A day scales the electricity and heat loads of every community by the
 * day's load factor (problems/schedule.ts dayLoadFactor: 1 on day 1, within
 * ±5 % after). Cooling loads, renewables, device limits and prices stay as in
 * the case: cooling has no market, and in the 120-community case the
 * tightest community has only 2.6 % of spare cooling capacity, so a scaled
 * cooling load could not be met on some days.
 *
 * The certificate's x (all powers in MW) holds, community by community in id
 * order: its purchases G (gas), E (electricity), H (heat), its power plant's
 * output P (when it has one), then every device in the order CHP, GSHP, CERG,
 * WARG, gas boiler (each in the case's order): its input, then its outputs
 * in the order of their curves (CHP: electricity, heat; GSHP: cooling, heat;
 * CERG and WARG: cooling; boiler: heat). After the communities: the grid's
 * supply, then each zone heat plant's supply in zone order. Its y holds the
 * prices, CNY/MWh: electricity, then each zone's heat price in zone order.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { DEVICE_KIND_ORDER, DEVICE_KINDS, type DeviceKind, type MarketCase } from "./case.ts";

/** The commodities of the model. */
export type Commodity = "gas" | "electricity" | "heat" | "cooling";

/** One output curve of a device: output = a·in² + c·in, MW. */
export interface OutputCurve {
  /** What it produces. */
  commodity: "electricity" | "heat" | "cooling";
  /** Quadratic coefficient, per MW (negative). */
  a: number;
  /** Linear coefficient (positive). */
  c: number;
}

/** A device of a community. */
export interface MarketDevice {
  /** Its kind (the case's key). */
  kind: DeviceKind;
  /** Its label in messages, e.g. `chp[0]`. */
  label: string;
  /** What it consumes. */
  input: "gas" | "electricity" | "heat";
  /** Smallest input, MW. */
  min: number;
  /** Largest input, MW. */
  max: number;
  /** Its output curves (one or two, of the same input). */
  outputs: OutputCurve[];
  /** Index in x of its input; its outputs follow. */
  col: number;
}

/** A community's power plant: cost quadratic·P² + linear·P + constant CNY/h, P in [min, max] MW. */
export interface MarketPlant {
  /** CNY/h per MW² (> 0). */
  quadratic: number;
  /** CNY/h per MW. */
  linear: number;
  /** CNY/h. */
  constant: number;
  /** Smallest output, MW. */
  min: number;
  /** Largest output, MW. */
  max: number;
}

/** A community of the day's model. */
export interface MarketCommunity {
  /** Its id in the case. */
  id: number;
  /** Index of its heat zone in {@link MarketModel.zones}. */
  zone: number;
  /** Electricity load of the day, MW (the case's times the load factor). */
  loadElectricity: number;
  /** Heat load of the day, MW (the case's times the load factor). */
  loadHeat: number;
  /** Cooling load, MW (as in the case). */
  loadCooling: number;
  /** Renewable injection, MW. */
  renewable: number;
  /** Its devices, in layout order. */
  devices: MarketDevice[];
  /** Its power plant, or null. */
  plant: MarketPlant | null;
  /** Index in x of its gas purchase G; E and H follow, then P (with a plant), then the devices. */
  col: number;
  /** Entries of x it takes. */
  width: number;
}

/** An outside seller: supplies s in [min, max] MW at its price. */
export interface OutsideSeller {
  /** Its price, CNY/MWh. */
  price: number;
  /** Least supply, MW. */
  min: number;
  /** Most supply, MW. */
  max: number;
}

/** A heat zone: a heat market with its heat plant. */
export interface MarketZone extends OutsideSeller {
  /** The zone's id in the case. */
  id: number;
  /** Indices (in {@link MarketModel.communities}) of its communities. */
  communities: number[];
}

/** The day's market. */
export interface MarketModel {
  /** The case's name. */
  caseName: string;
  /** The day's load factor (dimensionless). */
  loadFactor: number;
  /** Gas price, CNY/MWh. */
  gasPrice: number;
  /** The grid (no export: min 0). */
  grid: OutsideSeller;
  /** Heat zones in id order. */
  zones: MarketZone[];
  /** Communities in id order. */
  communities: MarketCommunity[];
  /** Index in x of the grid's supply; the heat plants' supplies follow in zone order. */
  gridCol: number;
  /** Entries of a certificate's x. */
  xLength: number;
  /** Entries of a certificate's y: 1 + the number of zones. */
  yLength: number;
  /** Fingerprint of the day's market, `sha256:<hex>` (see {@link marketFingerprint}). */
  id: string;
}

/** Entries of x before a community's devices: G, E, H (and P when it has a plant). */
export const PURCHASE_COLUMNS = 3;

/** Format tag hashed into the problem's fingerprint (a change of layout changes it). */
export const MARKET_MODEL_FORMAT = "poso-market/1";

/**
 * The day's model of a validated case; `loadFactor` (a positive finite number) scales the
 * electricity and heat loads.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * console.log(m.communities.length, m.zones.length, m.xLength, m.yLength); // 12 3 165 4
 * ```
 */
export function buildMarketModel(c: MarketCase, loadFactor: number): MarketModel {
  if (!(Number.isFinite(loadFactor) && loadFactor > 0)) {
    throw new RangeError(`load factor ${loadFactor} is not a positive finite number`);
  }
  const plants = [...c.heat_plants].sort((a, b) => a.heat_zone - b.heat_zone);
  const zoneIndex = new Map(plants.map((p, k) => [p.heat_zone, k]));
  const zones: MarketZone[] = plants.map((p) => ({
    id: p.heat_zone,
    price: p.price_cny_per_mwh,
    min: p.min_mw,
    max: p.max_mw,
    communities: [],
  }));
  let col = 0;
  const communities = [...c.communities].sort((a, b) => a.id - b.id).map((cc, i): MarketCommunity => {
    const zone = zoneIndex.get(cc.heat_zone)!;
    zones[zone].communities.push(i);
    const start = col;
    col += PURCHASE_COLUMNS + (cc.power_plant ? 1 : 0);
    const devices: MarketDevice[] = [];
    for (const kind of DEVICE_KIND_ORDER) {
      const spec = DEVICE_KINDS[kind];
      (cc[kind] as unknown as Record<string, unknown>[]).forEach((d, k) => {
        const outputs = spec.outputs.map((o) => {
          const curve = d[o] as { a: number; c: number };
          return { commodity: o, a: curve.a, c: curve.c };
        });
        devices.push({
          kind,
          label: `${kind}[${k}]`,
          input: spec.input,
          min: d[`${spec.input}_min_mw`] as number,
          max: d[`${spec.input}_max_mw`] as number,
          outputs,
          col,
        });
        col += 1 + outputs.length;
      });
    }
    const pp = cc.power_plant;
    return {
      id: cc.id,
      zone,
      loadElectricity: cc.load_mw.electricity * loadFactor,
      loadHeat: cc.load_mw.heat * loadFactor,
      loadCooling: cc.load_mw.cooling,
      renewable: cc.renewable_mw,
      devices,
      plant: pp
        ? {
          quadratic: pp.cost_cny_per_h.quadratic,
          linear: pp.cost_cny_per_h.linear,
          constant: pp.cost_cny_per_h.constant,
          min: pp.min_mw,
          max: pp.max_mw,
        }
        : null,
      col: start,
      width: col - start,
    };
  });
  const gridCol = col;
  const model: Omit<MarketModel, "id"> = {
    caseName: c.name,
    loadFactor,
    gasPrice: c.gas_price_cny_per_mwh,
    grid: { price: c.grid.price_cny_per_mwh, min: 0, max: c.grid.max_mw },
    zones,
    communities,
    gridCol,
    xLength: gridCol + 1 + zones.length,
    yLength: 1 + zones.length,
  };
  return { ...model, id: marketFingerprint(model) };
}

/**
 * SHA-256 of everything that defines the day's market (format tag, load factor, prices, sellers,
 * every community's loads, devices and plant, in layout order), as canonical JSON:
 * `sha256:<hex>`. Two participants that built the same day from the same case get the same id.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * const c = await loadMarketCase(WUZHONG_12_URL);
 * console.log(buildMarketModel(c, 1).id === buildMarketModel(c, 1).id, buildMarketModel(c, 1).id === buildMarketModel(c, 1.01).id); // true false
 * ```
 */
export function marketFingerprint(m: Omit<MarketModel, "id">): string {
  const canonical = [
    MARKET_MODEL_FORMAT,
    m.loadFactor,
    m.gasPrice,
    [m.grid.price, m.grid.min, m.grid.max],
    m.zones.map((z) => [z.id, z.price, z.min, z.max, z.communities]),
    m.communities.map((c) => [
      c.id,
      c.zone,
      c.loadElectricity,
      c.loadHeat,
      c.loadCooling,
      c.renewable,
      c.plant && [c.plant.quadratic, c.plant.linear, c.plant.constant, c.plant.min, c.plant.max],
      c.devices.map((d) => [d.kind, d.min, d.max, d.outputs.map((o) => [o.commodity, o.a, o.c])]),
    ]),
  ];
  return `sha256:${createHash("sha256").update(JSON.stringify(canonical)).digest("hex")}`;
}

/**
 * Where a community's purchases and plant output sit in x.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel, purchaseColumns } from "./model.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * console.log(purchaseColumns(m.communities[1])); // { gas: 14, electricity: 15, heat: 16, plant: -1 }
 * ```
 */
export function purchaseColumns(
  c: MarketCommunity,
): { gas: number; electricity: number; heat: number; plant: number } {
  return { gas: c.col, electricity: c.col + 1, heat: c.col + 2, plant: c.plant ? c.col + 3 : -1 };
}
