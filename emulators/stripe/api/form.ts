/** A decoded request parameter: strings at the leaves, as Stripe's form encoding carries no other type. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormParams = { [key: string]: FormValue };

/**
 * Decodes Stripe's form encoding (`a[b]=c`, `expand[]=x`, `expand[0]=x`) from a query string or a
 * `application/x-www-form-urlencoded` body into nested objects and arrays.
 */
export function parseForm(encoded: string): FormParams {
  const root: FormParams = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = splitKey(key);
    let container: { [key: string]: FormValue } = root;
    path.forEach((segment, index) => {
      const name = segment === '' ? String(Object.keys(container).length) : segment;
      if (index === path.length - 1) {
        container[name] = value;
        return;
      }
      const existing = container[name];
      const next = typeof existing === 'object' && !Array.isArray(existing) ? existing : {};
      container[name] = next;
      container = next;
    });
  }
  return arraysFromIndexes(root) as FormParams;
}

/** `a[b][]` → `['a', 'b', '']`; a key without brackets is one segment. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) return [key];
  return [key.slice(0, open), ...key.slice(open + 1, -1).split('][')];
}

/** Objects whose keys are exactly 0..n-1 were arrays on the wire (`x[]` or `x[0]`). */
function arraysFromIndexes(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted = Object.fromEntries(keys.map((key) => [key, arraysFromIndexes(value[key] as FormValue)]));
  const isArray = keys.length > 0 && keys.every((key, index) => key === String(index));
  return isArray ? keys.map((key) => converted[key] as FormValue) : converted;
}
