import { ApiError, invalidParameter } from './errors';
import type { AttributeModel, DataType, StoredDataAttribute, Workspace } from './workspace';

/**
 * Intercom's cap on custom data attributes per workspace; archived ones do not count ("There's a limit of 250 custom
 * data attributes per workspace, but you can archive unused attributes to free up space":
 * https://www.intercom.com/help/en/articles/179-send-custom-user-attributes-to-intercom).
 */
const MAX_CUSTOM_ATTRIBUTES = 250;
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const DATA_TYPES: readonly DataType[] = ['string', 'integer', 'float', 'boolean', 'date', 'datetime'];
const MODELS: readonly AttributeModel[] = ['contact', 'company'];

interface BuiltIn {
  name: string;
  label: string;
  description: string;
  dataType: DataType;
  apiWritable: boolean;
}

/** The standard contact attributes Intercom lists next to the custom ones (a representative subset). */
const BUILT_IN_CONTACT_ATTRIBUTES: readonly BuiltIn[] = [
  {
    name: 'id',
    label: 'ID',
    description: 'The Intercom defined id representing the contact',
    dataType: 'string',
    apiWritable: false,
  },
  {
    name: 'external_id',
    label: 'User ID',
    description: 'A unique identifier given to Intercom',
    dataType: 'string',
    apiWritable: true,
  },
  {
    name: 'role',
    label: 'Role',
    description: 'The role of the contact: user or lead',
    dataType: 'string',
    apiWritable: false,
  },
  { name: 'name', label: 'Name', description: 'The name of the contact', dataType: 'string', apiWritable: true },
  {
    name: 'email',
    label: 'Email',
    description: 'The email address of the contact',
    dataType: 'string',
    apiWritable: true,
  },
  {
    name: 'phone',
    label: 'Phone',
    description: 'The phone number of the contact',
    dataType: 'string',
    apiWritable: true,
  },
  {
    name: 'created_at',
    label: 'Created at',
    description: 'When the contact was added',
    dataType: 'date',
    apiWritable: false,
  },
  {
    name: 'updated_at',
    label: 'Updated at',
    description: 'When the contact last changed',
    dataType: 'date',
    apiWritable: false,
  },
  {
    name: 'signed_up_at',
    label: 'Signed up',
    description: 'When the contact signed up',
    dataType: 'date',
    apiWritable: true,
  },
  {
    name: 'last_seen_at',
    label: 'Last seen',
    description: 'When the contact was last seen',
    dataType: 'date',
    apiWritable: true,
  },
  {
    name: 'owner_id',
    label: 'Owner',
    description: 'The admin who owns the contact',
    dataType: 'integer',
    apiWritable: true,
  },
  {
    name: 'unsubscribed_from_emails',
    label: 'Unsubscribed from emails',
    description: 'Whether the contact is unsubscribed from emails',
    dataType: 'boolean',
    apiWritable: true,
  },
];

export interface CreateDataAttributeInput {
  name: string;
  model: string;
  dataType: string;
  description?: string;
}

export function createDataAttribute(
  workspace: Workspace,
  input: CreateDataAttributeInput,
  nowMs: number,
): StoredDataAttribute {
  const model = MODELS.find((candidate) => candidate === input.model);
  if (!model) throw invalidParameter('The Data Attribute model field must be either contact or company', 'model');
  const dataType = DATA_TYPES.find((candidate) => candidate === input.dataType);
  if (!dataType) throw invalidParameter("Data Type isn't an option", 'data_type');
  if (!NAME_PATTERN.test(input.name)) {
    throw invalidParameter(
      'Your name for this attribute must only contain alphanumeric characters, underscores and hyphens',
      'name',
    );
  }
  // A second create with the same name is how a type change would be attempted: the type stays immutable. Names
  // compare case-insensitively, and an archived attribute keeps its name: the 2.14 reference's "Same name already
  // exists" answer (POST /data_attributes, 400 parameter_invalid,
  // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-attributes/createdataattribute).
  if (isNameTaken(workspace, model, input.name)) {
    const data = model === 'contact' ? 'people data' : 'company data';
    throw invalidParameter(
      `You already have '${input.name}' in your ${data}. To save this as new ${data}, use a different name.`,
      'name',
    );
  }
  if (customAttributes(workspace, model).filter((attribute) => !attribute.archived).length >= MAX_CUSTOM_ATTRIBUTES) {
    throw invalidParameter(`You have reached the limit of ${MAX_CUSTOM_ATTRIBUTES} custom attributes for this model`);
  }
  const seconds = Math.floor(nowMs / 1000);
  const attribute: StoredDataAttribute = {
    id: workspace.nextAttributeId(),
    name: input.name,
    model,
    dataType,
    description: input.description ?? null,
    archived: false,
    createdAt: seconds,
    updatedAt: seconds,
  };
  workspace.dataAttributes.push(attribute);
  return attribute;
}

function isNameTaken(workspace: Workspace, model: AttributeModel, name: string): boolean {
  const wanted = name.toLowerCase();
  const builtIns = model === 'contact' ? BUILT_IN_CONTACT_ATTRIBUTES : [];
  return [...builtIns, ...customAttributes(workspace, model)].some(
    (attribute) => attribute.name.toLowerCase() === wanted,
  );
}

function customAttributes(workspace: Workspace, model: AttributeModel): StoredDataAttribute[] {
  return workspace.dataAttributes.filter((attribute) => attribute.model === model);
}

/**
 * `PUT /data_attributes/{id}`: archiving (or unarchiving) and the description; the type never changes
 * (https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-attributes/updatedataattribute).
 */
export function updateDataAttribute(
  workspace: Workspace,
  id: number,
  changes: { archived?: boolean; description?: string },
  nowMs: number,
): StoredDataAttribute {
  const attribute = workspace.dataAttributes.find((candidate) => candidate.id === id);
  if (!attribute) throw new ApiError(404, 'field_not_found', "We couldn't find that data attribute to update");
  if (changes.archived !== undefined) attribute.archived = changes.archived;
  if (changes.description !== undefined) attribute.description = changes.description;
  attribute.updatedAt = Math.floor(nowMs / 1000);
  return attribute;
}

/** Active custom contact attribute by exact name: contact writes must name an attribute that exists. */
export function findContactAttribute(workspace: Workspace, name: string): StoredDataAttribute | undefined {
  return workspace.dataAttributes.find(
    (attribute) => attribute.model === 'contact' && attribute.name === name && !attribute.archived,
  );
}

/**
 * `GET /data_attributes` body: built-in then custom attributes, optionally of one model. Archived ones only with
 * `include_archived=true` ("By default we return only non archived data attributes", 2.14 reference).
 */
export function listDataAttributesJson(workspace: Workspace, model: string | undefined, includeArchived = false) {
  const builtIns = model === undefined || model === 'contact' ? BUILT_IN_CONTACT_ATTRIBUTES.map(builtInJson) : [];
  const custom = workspace.dataAttributes
    .filter((attribute) => model === undefined || attribute.model === model)
    .filter((attribute) => includeArchived || !attribute.archived)
    .map((attribute) => dataAttributeJson(workspace, attribute));
  return { type: 'list' as const, data: [...builtIns, ...custom] };
}

function builtInJson(attribute: BuiltIn) {
  return {
    type: 'data_attribute' as const,
    name: attribute.name,
    full_name: attribute.name,
    label: attribute.label,
    description: attribute.description,
    data_type: attribute.dataType,
    api_writable: attribute.apiWritable,
    ui_writable: false,
    messenger_writable: true,
    custom: false,
    archived: false,
    model: 'contact' as const,
  };
}

export function dataAttributeJson(workspace: Workspace, attribute: StoredDataAttribute) {
  return {
    id: attribute.id,
    type: 'data_attribute' as const,
    name: attribute.name,
    full_name: `custom_attributes.${attribute.name}`,
    label: attribute.name,
    description: attribute.description,
    data_type: attribute.dataType,
    api_writable: true,
    ui_writable: false,
    messenger_writable: false,
    custom: true,
    archived: attribute.archived,
    admin_id: workspace.adminId,
    created_at: attribute.createdAt,
    updated_at: attribute.updatedAt,
    model: attribute.model,
  };
}
