/**
 * What GET /restapi/1.0/common/version answers: Odoo's exp_version() with the keys the original's
 * code returns (its docs misspell two of them). The version is the Odoo release whose API this
 * service reproduces (the original module's main reference, 17.0).
 */
import type { PyDict, PyValue } from '../wire/pyvalue';

export const SERVER_VERSION_INFO: readonly PyValue[] = [17, 0, 0, 'final', 0, ''];

export function versionInfo(): PyDict {
  return new Map<string, PyValue>([
    ['server_version', '17.0'],
    ['server_version_info', [...SERVER_VERSION_INFO]],
    ['server_serie', '17.0'],
    ['protocol_version', 1],
  ]);
}
