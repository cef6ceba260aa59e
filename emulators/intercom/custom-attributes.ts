import { ApiError, invalidParameter } from './errors';
import { findContactAttribute } from './data-attributes';
import type { DataType, Workspace } from './workspace';

/** Intercom's limit on a string attribute value. */
const MAX_STRING_LENGTH = 255;

/**
 * Checks a contact write's `custom_attributes` against the workspace's definitions, as Intercom does: the
 * attribute must exist and the value must fit its type. `null` clears a value whatever the type.
 */
export function validateCustomAttributes(workspace: Workspace, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    const attribute = findContactAttribute(workspace, name);
    if (!attribute) throw new ApiError(400, 'parameter_not_found', `Custom attribute '${name}' does not exist`, name);
    if (value === null) continue;
    if (!fitsType(attribute.dataType, value)) {
      throw invalidParameter(
        `Custom attribute '${name}' is of type ${attribute.dataType} and cannot be set to ${JSON.stringify(value)}`,
        name,
      );
    }
    if (typeof value === 'string' && value.length > MAX_STRING_LENGTH) {
      throw invalidParameter(`Custom attribute '${name}' is longer than ${MAX_STRING_LENGTH} characters`, name);
    }
  }
}

function fitsType(dataType: DataType, value: unknown): boolean {
  switch (dataType) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
    case 'datetime':
      // Dates travel as unix seconds.
      return Number.isSafeInteger(value);
  }
}
