#!/usr/bin/env node
// A tiny local webhook receiver for trying Hookstream: prints every delivery and whether its
// Standard Webhooks signature verified with the endpoint's whsec_ secret.
// Secret: INBOX_SECRET, else `endpointSecret` from the demo file written by the seed step.
require('reflect-metadata');
// tools/runtime and tools/infra are plain scripts beside this project, not Nx projects.
// eslint-disable-next-line @nx/enforce-module-boundaries
require('../runtime/register.js');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { verify } = require('@hookstream/webhooks');

const port = Number(process.env.INBOX_PORT || 3099);
const demoFile = process.env.INBOX_DEMO_FILE || path.join(__dirname, '..', '..', '.local', 'demo.json');
const received = [];

function secret() {
  if (process.env.INBOX_SECRET) return process.env.INBOX_SECRET;
  try {
    return JSON.parse(fs.readFileSync(demoFile, 'utf8')).endpointSecret;
  } catch {
    return undefined;
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/received') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(received));
  }
  if (req.method !== 'POST') {
    res.writeHead(405);
    return res.end();
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const s = secret();
    const v = s ? verify(req.headers, body, [s]) : { ok: false, message: 'no secret known yet' };
    let type = '?';
    try {
      type = JSON.parse(body.toString('utf8')).type;
    } catch {
      type = new URLSearchParams(body.toString('utf8')).get('type') || '?';
    }
    const entry = {
      at: new Date().toISOString(),
      path: req.url,
      webhookId: req.headers['webhook-id'],
      timestamp: req.headers['webhook-timestamp'],
      signatureVerified: v.ok,
      signatureProblem: v.ok ? undefined : v.message,
      type,
      contentType: req.headers['content-type'],
      body: body.toString('utf8').slice(0, 4096),
    };
    received.push(entry);
    if (received.length > 1000) received.shift();
    console.log(`[inbox] ${entry.at} ${type} webhook-id=${entry.webhookId} signature ${v.ok ? 'VERIFIED' : `NOT verified (${entry.signatureProblem})`}`);
    console.log(`[inbox]   ${entry.body.slice(0, 300)}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});

server.listen(port, '127.0.0.1', () => console.log(`[inbox] listening on http://127.0.0.1:${port}/ (GET /received lists deliveries)`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
