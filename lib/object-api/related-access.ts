/**
 * The rights a call needs on the models it reaches besides its own, checked before anything is
 * read, reserved or written (the router checks the call's own model first), with Odoo 17's
 * AccessError (403):
 * - a create's or write's x2many commands, on the models they act on (lib/records/validate.ts
 *   accessNeeds says which right each command needs);
 * - a search's domain, read on every model its dotted paths, name searches and child_of/parent_of
 *   hierarchies search (as Odoo's _search does check_access_rights('read') on each).
 * Definitions (ir.model, ir.model.fields) change only through their own requests, where
 * meta-change.ts checks them against the catalog: an x2many command that would create, write,
 * delete or re-parent them is refused, whatever the caller's rights.
 */
import { AccessDeniedError } from '../errors';
import { checkAccess, type AccessContext, type Operation } from '../models/access';
import { META_MODELS } from '../models/catalog';
import { getModel, type ModelDef, type ModelRegistry } from '../models/registry';
import { domainModels, relatedAccessNeeds } from '../records';
import type { PyValue } from '../wire/pyvalue';

const CHANGES: Readonly<Record<Operation, string>> = {
  read: 'read',
  write: 'modify',
  create: 'create',
  unlink: 'delete',
};

/** The caller's rights on every model the x2many commands of `vals` act on; 403 on the first missing one. */
export function checkRelatedWriteAccess(
  access: AccessContext,
  registry: ModelRegistry,
  model: ModelDef,
  vals: ReadonlyMap<string, PyValue>,
): void {
  for (const need of relatedAccessNeeds(registry, model.model, vals)) {
    checkAccess(access, getModel(registry, need.model), need.operation);
    if (META_MODELS.has(need.model)) {
      throw new AccessDeniedError(
        `The commands of field '${need.field.name}' on model '${model.model}' would ${CHANGES[need.operation]} ` +
          `${need.model} records: definitions cannot be changed through x2many commands; ` +
          `create, write or delete them with their own ${need.model} request`,
      );
    }
  }
}

/** The read right on every model that searching `domain` on `model` reads; 403 on the first missing one. */
export function checkDomainAccess(
  access: AccessContext,
  registry: ModelRegistry,
  model: ModelDef,
  domain: PyValue | undefined,
): void {
  for (const walked of domainModels(registry, model, domain)) checkAccess(access, walked, 'read');
}
