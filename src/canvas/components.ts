/**
 * Canvas Kit response objects, as far as the inbox card uses them. `intercom-client` 7.x (Fern, API 2.14) no longer
 * exports the Canvas Kit types 6.x had (`CanvasObject`, `ContentObject`, components), so they are declared here after
 * Intercom's reference: https://developers.intercom.com/docs/references/canvas-kit/responseobjects/canvas (a static
 * canvas: `content.components`, optional `stored_data`, each at most 64 KB) and
 * https://developers.intercom.com/docs/references/canvas-kit/responseobjects/content.
 */
export type TextStyle = 'header' | 'paragraph' | 'muted' | 'error';

export interface TextComponent {
  type: 'text';
  id?: string;
  text: string;
  style?: TextStyle;
  align?: 'left' | 'center' | 'right';
}

export interface FieldValue {
  type: 'field-value';
  field: string;
  value: string;
}

export interface DataTableComponent {
  type: 'data-table';
  id?: string;
  items: FieldValue[];
}

export type ButtonAction = { type: 'submit' } | { type: 'url'; url: string };

export interface ButtonComponent {
  type: 'button';
  id: string;
  label: string;
  style?: 'primary' | 'secondary' | 'link';
  action: ButtonAction;
}

export interface DividerComponent {
  type: 'divider';
  id?: string;
}

export type Component = TextComponent | DataTableComponent | ButtonComponent | DividerComponent;

export interface CanvasObject {
  content: { components: Component[] };
  stored_data?: Record<string, unknown>;
}

/** What the app answers to an initialize or submit request. */
export interface CanvasResponse {
  canvas: CanvasObject;
}

/** Intercom refuses a canvas, content or stored_data above 64 KB (reference above). */
export const MAX_CANVAS_BYTES = 64 * 1024;
