/**
 * Every fast-check property in `npm test` runs from one fixed seed, so a run is repeatable and CI
 * never fails on a case it did not fail on before; FC_SEED picks another. `npm run fuzz` is where
 * fresh seeds explore (scripts/fuzz.ts).
 */
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED || 20261128) });
