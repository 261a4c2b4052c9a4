import { DEFAULT_INSURERS_DIR, loadInsurers, type Insurers } from '../insurers/profiles.ts';
import { largestSealMm, type Layout } from './layouts.ts';

/**
 * The insurer profiles for a set of layouts: from `dir` when one was named (it must exist), else from
 * `insurers/` when there is one. Raster seals are checked against the largest seal box of the layouts.
 */
export function loadEngineInsurers(layouts: Map<string, Layout>, dir: string | undefined): Promise<Insurers> {
  return loadInsurers(dir ?? DEFAULT_INSURERS_DIR, { sealMm: largestSealMm(layouts) || 10, explicit: dir !== undefined });
}
