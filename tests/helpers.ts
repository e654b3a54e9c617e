/**
 * Shared fixture of the test suite: the University of Manchester dispatch model,
 * built once per test process, and its solved variants.
 *
 * `solveVariant` caches GLPK solves per model object, so every test that goes
 * through {@link uomModel} and {@link variant} shares the same three solves
 * (optimal, selfish, feasible) instead of paying ~1 s for each.
 *
 * @module
 */
import {
  buildDispatchModel,
  type DispatchModel,
  type HubColumns,
  loadUomCase,
  solveVariant,
  type Variant,
  type VariantSolution,
} from "../mod.ts";

let model: Promise<DispatchModel> | undefined;

/** The UoM dispatch model, built on first use and shared by every test of the process. */
export function uomModel(): Promise<DispatchModel> {
  model ??= loadUomCase().then((ies) => buildDispatchModel(ies));
  return model;
}

/** A solved proposal variant of the shared model (GLPK runs once per objective). */
export async function variant(name: Variant): Promise<VariantSolution> {
  return solveVariant(await uomModel(), name);
}

/** The hub columns of the hub with this id (not its position in the case). */
export async function hubColumns(id: number): Promise<HubColumns> {
  const m = await uomModel();
  const hub = m.layout.hubs.find((h) => h.id === id);
  if (!hub) throw new Error(`the case has no hub ${id}`);
  return hub;
}

/** Root of every file a test writes (the test task may write only here). */
export const TEST_TMP = "out/test-tmp";

/** A fresh, empty directory under {@link TEST_TMP}, named after `prefix`. */
export async function tmpDir(prefix: string): Promise<string> {
  await Deno.mkdir(TEST_TMP, { recursive: true });
  return await Deno.makeTempDir({ dir: TEST_TMP, prefix: `${prefix}-` });
}
