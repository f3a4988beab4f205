/**
 * The model methods' signatures as data: their Odoo parameters, the access right each needs and
 * whether it also runs on one record, and which method each verb means. The router (router.ts)
 * pairs each with what it does; the OpenAPI description (lib/openapi) reads this module alone, so
 * its function does not load the records core.
 */
import type { Operation } from '../models/access';

export interface MethodSignature {
  /**
   * The Odoo signature's parameters in order (Odoo 17), which positional `args` fill and `kwargs`
   * name; `context` is always a keyword too. Record ids are not among them: they come from the
   * path or `ids`, as the original passes them first.
   */
  readonly params: readonly string[];
  /** The access right (ir.model.access) it needs; introspection needs none, as in Odoo. */
  readonly operation?: Operation;
  /** Reachable on one record too, as /object/{model}/{id}/{method}. */
  readonly onRecord: boolean;
}

/**
 * The model's methods, reachable as /object/{model}/{method} (and those onRecord as
 * /object/{model}/{id}/{method}) with any verb, as the original routes them; the verb routes are
 * these methods too (VERB_METHODS). The one table of signatures.
 */
export const METHOD_SIGNATURES = {
  search: { params: ['domain', 'offset', 'limit', 'order'], operation: 'read', onRecord: false },
  search_count: { params: ['domain'], operation: 'read', onRecord: false },
  search_read: { params: ['domain', 'fields', 'offset', 'limit', 'order'], operation: 'read', onRecord: false },
  read: { params: ['fields'], operation: 'read', onRecord: true },
  write: { params: ['vals'], operation: 'write', onRecord: true },
  create: { params: ['vals'], operation: 'create', onRecord: false },
  unlink: { params: [], operation: 'unlink', onRecord: true },
  fields_get: { params: ['allfields', 'attributes'], onRecord: false },
  default_get: { params: ['fields_list'], onRecord: false },
  check_access_rights: { params: ['operation', 'raise_exception'], onRecord: false },
  // Its `args` is its own parameter (a domain), so name_search takes keywords only.
  name_search: { params: ['name', 'args', 'operator', 'limit'], operation: 'read', onRecord: false },
} as const satisfies Readonly<Record<string, MethodSignature>>;

export type MethodName = keyof typeof METHOD_SIGNATURES;

/** The method each verb means without a method in the path: on the model, and on /{id}. */
export const VERB_METHODS: Readonly<Record<string, MethodName>> = {
  GET: 'search_read',
  POST: 'create',
  PUT: 'write',
  DELETE: 'unlink',
};
export const RECORD_VERB_METHODS: Readonly<Record<string, MethodName>> = {
  GET: 'read',
  PUT: 'write',
  DELETE: 'unlink',
};
