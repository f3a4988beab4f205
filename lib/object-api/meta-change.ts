/**
 * A create, write or unlink on ir.model / ir.model.fields: checked against the definitions first
 * (lib/models/catalog.ts; 403 and nothing written if it would break them), and this instance
 * reloads them once it is made (the others within CATALOG_TTL_MS, or at once for a model they do
 * not know).
 */
import type { ApiResult } from '../http';
import type { Operation } from '../models/access';
import { checkMetaChange, metaValues, type MetaChange, type ModelCatalog } from '../models/catalog';
import type { ModelDef } from '../models/registry';
import { countRecords, type RecordsDeps } from '../records';
import type { PyValue } from '../wire/pyvalue';

/** The definition change a call makes, its parameters read only when the operation needs them. */
export interface DefinitionCall {
  readonly model: ModelDef;
  readonly operation: Operation | undefined;
  readonly ids: () => number[];
  readonly vals: () => Map<string, PyValue>;
  /** The call itself (the write of the ir.model or ir.model.fields records), with these vals if given. */
  readonly run: (vals?: Map<string, PyValue>) => Promise<ApiResult>;
}

export async function changeDefinitions(
  catalog: ModelCatalog,
  deps: RecordsDeps,
  call: DefinitionCall,
): Promise<ApiResult> {
  const { model, operation } = call;
  if (operation !== 'create' && operation !== 'write' && operation !== 'unlink') return call.run();
  const change: MetaChange =
    operation === 'create'
      ? { kind: 'create', model: model.model, values: metaValues(call.vals()) }
      : operation === 'write'
        ? { kind: 'write', model: model.model, ids: call.ids(), values: metaValues(call.vals()) }
        : { kind: 'unlink', model: model.model, ids: call.ids() };
  const { fieldModel } = await checkMetaChange(catalog, change, async (name) => {
    const target = deps.registry.get(name);
    return target ? countRecords(deps, { model: target, activeTest: false }) : 0;
  });
  // A field is created with its model's technical name, as Odoo's create() sets it from model_id
  // (the check refused any other; fields stored before are repaired by the catalog's reload).
  const result = await call.run(
    fieldModel === undefined ? undefined : new Map([...call.vals(), ['model', fieldModel]]),
  );
  await catalog.changed();
  return result;
}
