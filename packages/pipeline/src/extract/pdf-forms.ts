import type { BoundingBox, Paragraph } from './extracted-document.ts';
import type { TextRun } from './pdf-layout.ts';
import type { PdfPageProxy, PdfViewport } from './pdfjs.ts';

// Filled AcroForm fields. A form's values are not in the page's text layer (they live in widget annotations and
// their appearance streams), so a filled application form would lose every answer. Each filled field becomes a
// block "Label: value", labelled by the field's tooltip (/TU), else by the text printed just left of (or above)
// the field, else by its name.

/** The subset of pdf.js's widget annotation data used here. */
interface WidgetData {
  subtype?: string;
  fieldType?: string;
  fieldName?: string;
  fieldValue?: unknown;
  alternativeText?: string;
  rect?: number[];
  checkBox?: boolean;
  radioButton?: boolean;
  buttonValue?: string;
  exportValue?: string;
  hidden?: boolean;
}

/** Fields read per page at most: a hostile form can hold thousands. */
const MAX_FIELDS = 500;

function valueText(widget: WidgetData): string | undefined {
  const value = widget.fieldValue;
  if (widget.checkBox === true) {
    if (typeof value !== 'string' || value === '' || value === 'Off') return undefined;
    return 'checked';
  }
  if (widget.radioButton === true) {
    if (typeof value !== 'string' || value === 'Off' || value !== widget.buttonValue) return undefined;
    return value;
  }
  if (Array.isArray(value)) {
    const items = value.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
    return items.length > 0 ? items.join(', ') : undefined;
  }
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The printed label: the nearest run ending left of the field on its line, else the nearest run just above it. */
function printedLabel(box: BoundingBox, runs: readonly TextRun[]): string | undefined {
  const [x0, y0, , y1] = box;
  const middle = (y0 + y1) / 2;
  const left = runs
    .filter(
      (r) =>
        r.x1 <= x0 + 2 && Math.abs(r.baseline - r.fontSize * 0.3 - middle) <= Math.max(6, (y1 - y0) / 2 + 2),
    )
    .sort((a, b) => b.x1 - a.x1)[0];
  if (left !== undefined && x0 - left.x1 < 200) return left.text.trim();
  const above = runs
    .filter((r) => r.baseline <= y0 + 2 && y0 - r.baseline < 24 && r.x1 > x0 - 4 && r.x0 < box[2])
    .sort((a, b) => b.baseline - a.baseline)[0];
  return above?.text.trim();
}

/**
 * Blocks for the page's filled form fields, in reading order (top to bottom, left to right), with
 * `source: 'form'` and the widget's box.
 */
export async function readFormFields(
  page: PdfPageProxy,
  viewport: PdfViewport,
  runs: readonly TextRun[],
): Promise<Paragraph[]> {
  const annotations = (await page.getAnnotations({ intent: 'display' })) as WidgetData[];
  const found: Array<{ box: BoundingBox; text: string }> = [];
  for (const widget of annotations.slice(0, MAX_FIELDS * 4)) {
    if (found.length >= MAX_FIELDS) break;
    if (widget.subtype !== 'Widget' || widget.hidden === true || widget.rect === undefined) continue;
    const value = valueText(widget);
    if (value === undefined) continue;
    const [ax = 0, ay = 0, bx = 0, by = 0] = viewport.convertToViewportRectangle(widget.rect);
    const box: BoundingBox = [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)];
    const label =
      widget.alternativeText?.trim() ||
      printedLabel(box, runs) ||
      widget.fieldName?.split('.').at(-1)?.trim() ||
      '';
    const cleanLabel = label.replace(/[:：]\s*$/, '');
    found.push({ box, text: cleanLabel === '' ? value : `${cleanLabel}: ${value}` });
  }
  found.sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
  return found.map(({ box, text }) => ({ text, bbox: box, source: 'form' as const }));
}
