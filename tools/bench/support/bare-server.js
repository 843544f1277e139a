// The ceiling for the gateway bench: a bare Node `http` server that does the least a webhook
// receiver can do — read the body, JSON.parse it, answer 202 with an id. No auth, no Kafka.
// Started as a child process by tools/bench/gateway.bench.ts; PORT comes from the environment.
'use strict';
const http = require('node:http');

let seq = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let status = 202;
    let body;
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      body = `{"id":"evt_bare${(seq++).toString(36).padStart(20, '0')}"}`;
    } catch {
      status = 400;
      body = '{"error":{"code":"invalid_json","message":"bad json"}}';
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
// Same keep-alive behaviour as Fastify's default so connections are reused on both sides.
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`bare server listening on 127.0.0.1:${process.env.PORT}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
