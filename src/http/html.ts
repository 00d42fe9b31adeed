/** Server-rendered pages: escaping and the shared shell (no build step, no client framework). */

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Tagged template whose `${}` values are escaped unless wrapped in `raw()`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const piece =
      v instanceof Raw
        ? v.value
        : Array.isArray(v)
          ? v.map((x) => (x instanceof Raw ? x.value : escapeHtml(String(x)))).join('')
          : v === null || v === undefined || v === false
            ? ''
            : escapeHtml(String(v));
    out += piece + strings[i + 1]!;
  });
  return new Raw(out);
}

export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}
export const raw = (value: string) => new Raw(value);

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ec}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.notice{background:#eef6ee;padding:.6rem}.alert{background:#fbeaea;padding:.6rem}
form.inline{display:inline-flex;gap:.4rem;align-items:center;margin:.2rem 0}
.muted{color:#667}`;

export function layout(title: string, body: Raw): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body.value}</body></html>`;
}
