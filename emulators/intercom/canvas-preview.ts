import type { EmulatedCanvas } from './canvas-kit';

/** The inbox's conversation details panel is about this wide. */
export const INBOX_PANEL_WIDTH = 340;

const escape = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** Canvas Kit text takes a little markdown: `*bold*` is what the card uses. */
const markdown = (text: string): string => escape(text).replace(/\*([^*]+)\*/g, '<strong>$1</strong>');

/**
 * A canvas drawn roughly as Intercom's inbox draws it (text styles, data tables, buttons, dividers), for screenshots
 * in the browser test. Not Intercom's own stylesheet: the shapes and their order, not the pixels, are what it shows.
 */
export function canvasPreviewHtml(canvas: EmulatedCanvas, title: string): string {
  const parts = canvas.content.components.map((component) => {
    switch (component.type) {
      case 'text':
        return `<p class="text ${component.style ?? 'paragraph'}">${markdown(component.text)}</p>`;
      case 'data-table':
        return `<dl>${component.items
          .map((item) => `<div><dt>${escape(item.field)}</dt><dd>${escape(item.value)}</dd></div>`)
          .join('')}</dl>`;
      case 'button':
        return `<button class="${component.style ?? 'primary'}">${escape(component.label)}</button>`;
      case 'divider':
        return '<hr>';
      case 'spacer':
        return '<div class="spacer"></div>';
    }
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body { margin: 0; background: #f4f4f5; font: 13px/1.45 system-ui, sans-serif; color: #1f2328; }
.panel { width: ${INBOX_PANEL_WIDTH}px; margin: 12px; padding: 12px 14px; background: #fff; border: 1px solid #e1e3e6; border-radius: 8px; }
h1 { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #6b7280; margin: 0 0 8px; }
.text { margin: 4px 0; } .header { font-size: 15px; } .muted { color: #6b7280; font-size: 12px; } .error { color: #c0262d; }
dl { margin: 6px 0; } dl div { display: flex; justify-content: space-between; gap: 8px; padding: 2px 0; }
dt { color: #6b7280; } dd { margin: 0; text-align: right; }
button { display: block; width: 100%; margin: 6px 0; padding: 6px; border-radius: 6px; border: 1px solid #d0d4d9; background: #fff; font: inherit; }
button.primary { background: #1f6feb; color: #fff; border-color: #1f6feb; } button.link { border: 0; color: #1f6feb; text-align: left; padding: 2px 0; }
hr { border: 0; border-top: 1px solid #e1e3e6; margin: 10px 0; }
</style></head><body><div class="panel"><h1>${escape(title)}</h1>${parts.join('')}</div></body></html>`;
}
