import { gunzipSync } from "node:zlib";

/** A gzip+base64 block of the page (html.ts), inflated as the page's script does. */
export function block(html: string, id: string): string {
  const m = html.match(new RegExp(`<script type="application/octet-stream" id="${id}">([^<]*)</script>`));
  if (!m) throw new Error(`no ${id} block in the page`);
  return gunzipSync(Buffer.from(m[1]!, "base64")).toString("utf8");
}

/** The page as the reader's browser holds it once its script unpacked the resource details (without running the script). */
export function unpacked(html: string): string {
  if (!html.includes('id="details-data"')) return html;
  return html.replace(/<div id="details-body"[^>]*>[\s\S]*?<\/noscript><\/div>/, () => `<div id="details-body">${block(html, "details-data")}</div>`);
}
