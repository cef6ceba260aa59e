import { invalidParameter } from './errors';
import type { AttributeModel, DataType, StoredDataAttribute, Workspace } from './workspace';

/** Intercom's cap on custom data attributes per model in one workspace. */
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
  // A second create with the same name is how a type change would be attempted: the type stays immutable.
  if (isNameTaken(workspace, model, input.name)) {
    const data = model === 'contact' ? 'people data' : 'company data';
    throw invalidParameter(
      `You already have '${input.name}' in your ${data}. To save this as new ${data}, use a different name.`,
      'name',
    );
  }
  if (customAttributes(workspace, model).length >= MAX_CUSTOM_ATTRIBUTES) {
    throw invalidParameter(`You have reached the limit of ${MAX_CUSTOM_ATTRIBUTES} custom attributes for this model`);
  }
  const seconds = Math.floor(nowMs / 1000);
  const attribute: StoredDataAttribute = {
    id: workspace.nextAttributeId(),
    name: input.name,
    model,
    dataType,
    description: input.description ?? null,
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

/** Custom contact attribute by exact name: contact writes must name an attribute that exists. */
export function findContactAttribute(workspace: Workspace, name: string): StoredDataAttribute | undefined {
  return workspace.dataAttributes.find((attribute) => attribute.model === 'contact' && attribute.name === name);
}

/** `GET /data_attributes` body: built-in then custom attributes, optionally of one model. */
export function listDataAttributesJson(workspace: Workspace, model: string | undefined) {
  const builtIns = model === undefined || model === 'contact' ? BUILT_IN_CONTACT_ATTRIBUTES.map(builtInJson) : [];
  const custom = workspace.dataAttributes
    .filter((attribute) => model === undefined || attribute.model === model)
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
    archived: false,
    admin_id: workspace.adminId,
    created_at: attribute.createdAt,
    updated_at: attribute.updatedAt,
    model: attribute.model,
  };
}
