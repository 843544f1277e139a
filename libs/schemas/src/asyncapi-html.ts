import { isSchema, type JsonSchema, type JsonValue } from './json-schema';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The little Markdown the descriptions use: paragraphs, `code` and **bold**. */
function prose(md: string): string {
  return md
    .split(/\n\s*\n/)
    .map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')}</p>`)
    .join('\n');
}

function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

function obj(v: JsonValue | undefined): JsonSchema {
  return isSchema(v) ? v : {};
}

function refName(v: JsonValue | undefined): string | undefined {
  const ref = obj(v)['$ref'];
  return typeof ref === 'string' ? ref.slice(ref.lastIndexOf('/') + 1) : undefined;
}

function schemaLinks(v: JsonValue | undefined): string {
  const names = new Set<string>();
  const walk = (x: JsonValue | undefined): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (isSchema(x)) {
      const n = refName(x);
      if (n) names.add(n);
      Object.values(x).forEach(walk);
    }
  };
  walk(v);
  return [...names].map((n) => `<a href="#schema-${esc(n)}">${esc(n)}</a>`).join(' | ') || '<code>null</code>';
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1d2330}
code,pre{font:13px ui-monospace,monospace;background:#f3f4f7;border-radius:4px}code{padding:1px 4px}pre{padding:.75rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #e3e5ea;padding:.35rem .5rem}
th{background:#f7f8fa}h2{margin-top:2.5rem;border-bottom:2px solid #e3e5ea}h3{margin-top:2rem}.muted{color:#667}`;

/**
 * A self-contained HTML rendering of the AsyncAPI document (no script, no CDN): the topics
 * table, each channel's message (key, CloudEvents headers, payload) and the schemas.
 */
export function renderAsyncApiHtml(doc: JsonSchema, jsonHref = '/asyncapi.json'): string {
  const info = obj(doc['info']);
  const channels = Object.entries(obj(doc['channels']));
  const messages = obj(obj(doc['components'])['messages']);
  const schemas = Object.entries(obj(obj(doc['components'])['schemas']));
  // Operation ids are `<app>.<action>.<channel>` (asyncapi.ts).
  const operations = Object.entries(obj(doc['operations'])).map(([id, o]) => ({ app: id.split('.')[0] ?? id, op: obj(o) }));

  const opsFor = (id: string, action: string): string[] =>
    operations.filter(({ op }) => op['action'] === action && refName(op['channel']) === id).map((o) => {
      const group = obj(obj(obj(o.op['bindings'])['kafka'])['groupId'])['enum'];
      return Array.isArray(group) ? `<code>${esc(str(group[0]))}</code>` : esc(o.app);
    });

  const rows = channels.map(([id, chv]) => {
    const ch = obj(chv);
    const msg = obj(messages[id]);
    const kafka = obj(obj(ch['bindings'])['kafka']);
    const cfg = obj(kafka['topicConfiguration']);
    const retention = Number(cfg['retention.ms']);
    const ceType = obj(obj(obj(msg['headers'])['properties'])['ce_type']);
    return `<tr><td><a href="#ch-${esc(id)}"><code>${esc(str(ch['address']))}</code></a></td><td>${esc(str(ch['title']))}</td>
<td>${esc(str(obj(obj(obj(msg['bindings'])['kafka'])['key'])['description']))}</td>
<td>${ceType['enum'] ? (ceType['enum'] as JsonValue[]).map((t) => `<code>${esc(str(t))}</code>`).join(' ') : `<code>${esc(str(ceType['pattern']))}</code>`}</td>
<td>${esc(str(kafka['partitions']))}</td><td>${retention < 0 ? 'compacted' : `${Math.round(retention / 86_400_000)} d`}</td>
<td>${opsFor(id, 'send').join(', ')}</td><td>${opsFor(id, 'receive').join(', ') || '<span class="muted">—</span>'}</td></tr>`;
  });

  const details = channels.map(([id, chv]) => {
    const ch = obj(chv);
    const msg = obj(messages[id]);
    const headers = obj(msg['headers']);
    const required = new Set(Array.isArray(headers['required']) ? headers['required'].map(str) : []);
    const headerRows = Object.entries(obj(headers['properties'])).map(([name, hv]) => {
      const h = obj(hv);
      const rule = h['enum'] ? `one of ${(h['enum'] as JsonValue[]).map((x) => `<code>${esc(str(x))}</code>`).join(', ')}` : h['pattern'] ? `<code>${esc(str(h['pattern']))}</code>` : esc(str(h['format'] ?? h['type']));
      return `<tr><td><code>${esc(name)}</code>${required.has(name) ? '' : ' <span class="muted">(optional)</span>'}</td><td>${rule}</td><td>${esc(str(h['description']))}</td></tr>`;
    });
    return `<h3 id="ch-${esc(id)}"><code>${esc(str(ch['address']))}</code> — ${esc(str(ch['title']))}</h3>
${prose(str(ch['description']))}
<p><strong>Value:</strong> ${schemaLinks(msg['payload'])}</p>
<table><thead><tr><th>header</th><th>value</th><th>meaning</th></tr></thead><tbody>${headerRows.join('\n')}</tbody></table>`;
  });

  const schemaBlocks = schemas.map(([name, s]) => `<h3 id="schema-${esc(name)}">${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre>`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(str(info['title']))}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(str(info['title']))} <span class="muted">AsyncAPI ${esc(str(doc['asyncapi']))}, v${esc(str(info['version']))}</span></h1>
<p>Machine-readable: <a href="${esc(jsonHref)}">${esc(jsonHref)}</a></p>
${prose(str(info['description']))}
<h2>Topics</h2>
<table><thead><tr><th>topic</th><th>what</th><th>key</th><th><code>ce_type</code></th><th>partitions</th><th>retention</th><th>producers</th><th>consumer groups</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<h2>Messages</h2>
${details.join('\n')}
<h2>Schemas</h2>
${schemaBlocks.join('\n')}
</body></html>
`;
}
