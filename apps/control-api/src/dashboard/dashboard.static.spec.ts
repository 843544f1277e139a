import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isApiPath, locateDashboard } from './dashboard.static';

describe('isApiPath', () => {
  it('keeps API, docs, health and asset paths out of the page fallback', () => {
    for (const p of ['/v1', '/v1/sources', '/v1/unknown', '/docs', '/docs-json', '/docs/static/x.js', '/health/ready', '/assets/missing.js', '/internal/v1/x', '/asyncapi', '/asyncapi.json']) {
      expect(isApiPath(p)).toBe(true);
    }
  });

  it('lets the dashboard own every other path, including ones that merely start like an API word', () => {
    for (const p of ['/', '/feed', '/events/evt_1', '/sources', '/v1x', '/healthy', '/endpoints/ep_1']) {
      expect(isApiPath(p)).toBe(false);
    }
  });
});

describe('locateDashboard', () => {
  it('walks up from a nested directory to the built dashboard, and gives null when none is built', () => {
    const root = mkdtempSync(join(tmpdir(), 'dash-'));
    const nested = join(root, 'dist', 'apps', 'control-api', 'src', 'dashboard');
    mkdirSync(nested, { recursive: true });
    expect(locateDashboard(nested)).toBeNull();
    const built = join(root, 'dist', 'apps', 'dashboard');
    mkdirSync(built, { recursive: true });
    writeFileSync(join(built, 'index.html'), '<!doctype html>');
    expect(locateDashboard(nested)).toBe(built);
  });
});
