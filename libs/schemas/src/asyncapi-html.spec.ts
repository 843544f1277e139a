import { topicPlan } from '@hookstream/contracts';
import { buildAsyncApi } from './asyncapi';
import { renderAsyncApiHtml } from './asyncapi-html';

describe('renderAsyncApiHtml', () => {
  const html = renderAsyncApiHtml(buildAsyncApi());

  it('lists every topic with its producers and consumer groups, and links the JSON', () => {
    for (const t of topicPlan()) expect(html).toContain(`<code>${t.name}</code>`);
    expect(html).toMatch(/hookstream\.events\.enriched\.v1<\/code><\/a><\/td><td>Enriched events<\/td>[\s\S]*?<td>enricher<\/td><td><code>hookstream-automation<\/code>, <code>hookstream-projector<\/code><\/td>/);
    expect(html).toMatch(/hookstream\.events\.enriched\.v1\.dlq<\/code>[\s\S]*?<td>automation, projector<\/td>/);
    expect(html).toContain('href="/asyncapi.json"');
  });

  it('is self-contained: no script and nothing loaded from elsewhere', () => {
    expect(html).not.toMatch(/<script|<link|src=/i);
  });

  it('escapes what it prints', () => {
    const doc = buildAsyncApi();
    (doc['info'] as Record<string, unknown>)['title'] = '<img onerror=x>';
    expect(renderAsyncApiHtml(doc)).toContain('&lt;img onerror=x&gt;');
  });
});
