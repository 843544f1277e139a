import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (id text PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE api_keys (
        id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, name text NOT NULL,
        secret_hash text NOT NULL, scope text NOT NULL CHECK (scope IN ('read','write')), revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX api_keys_account_idx ON api_keys(account_id);
      CREATE TABLE sources (
        id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, name text NOT NULL,
        dialect text NOT NULL, enabled boolean NOT NULL DEFAULT true, signature jsonb NOT NULL DEFAULT '{"kind":"none"}',
        dedupe jsonb, rate_limit_per_second integer, initiated_from text NOT NULL DEFAULT 'api', list_id text,
        version integer NOT NULL DEFAULT 1, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX sources_account_idx ON sources(account_id);
      CREATE TABLE source_tokens (
        id text PRIMARY KEY, source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE, token_hash text NOT NULL,
        expires_at timestamptz, created_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX source_tokens_source_idx ON source_tokens(source_id);
      CREATE TABLE endpoints (
        id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, url text NOT NULL,
        description text, enabled boolean NOT NULL DEFAULT true, disabled_reason text, event_types text[] NOT NULL,
        initiated_from text[], list_id text, filter jsonb, format text NOT NULL DEFAULT 'json' CHECK (format IN ('json','form')),
        rate_limit_per_second integer, max_concurrency integer NOT NULL DEFAULT 10, version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX endpoints_account_idx ON endpoints(account_id);
      CREATE TABLE endpoint_secrets (
        id text PRIMARY KEY, endpoint_id text NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE, secret_enc text NOT NULL,
        expires_at timestamptz, created_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX endpoint_secrets_endpoint_idx ON endpoint_secrets(endpoint_id);
      CREATE TABLE automations (
        id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, name text NOT NULL,
        enabled boolean NOT NULL DEFAULT true, trigger jsonb NOT NULL, actions jsonb NOT NULL, version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX automations_account_idx ON automations(account_id);

      CREATE TABLE dedupe_keys (
        source_id text NOT NULL, key text NOT NULL, event_id text NOT NULL, duplicate_count integer NOT NULL DEFAULT 0,
        first_seen_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (source_id, key));
      CREATE INDEX dedupe_keys_expires_idx ON dedupe_keys(expires_at);

      CREATE TABLE deliveries (
        id text PRIMARY KEY, webhook_id text NOT NULL, account_id text NOT NULL, endpoint_id text NOT NULL, event_id text NOT NULL,
        event_type text NOT NULL, request jsonb NOT NULL, status text NOT NULL, attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz, last_http_status integer, last_error text,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
      CREATE INDEX deliveries_account_idx ON deliveries(account_id, created_at DESC);
      CREATE INDEX deliveries_endpoint_idx ON deliveries(endpoint_id, created_at DESC);
      CREATE INDEX deliveries_event_idx ON deliveries(event_id);
      CREATE INDEX deliveries_due_idx ON deliveries(next_attempt_at) WHERE status = 'failed';
      CREATE TABLE delivery_attempts (
        delivery_id text NOT NULL, attempt integer NOT NULL, endpoint_id text NOT NULL, outcome text NOT NULL,
        http_status integer, latency_ms integer NOT NULL, error text, response_headers jsonb, response_body text,
        attempted_at timestamptz NOT NULL, PRIMARY KEY (delivery_id, attempt));
      CREATE INDEX delivery_attempts_endpoint_idx ON delivery_attempts(endpoint_id, attempted_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS delivery_attempts, deliveries, dedupe_keys, automations, endpoint_secrets, endpoints,
      source_tokens, sources, api_keys, accounts CASCADE`);
  }
}
