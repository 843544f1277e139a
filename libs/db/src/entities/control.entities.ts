import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

// Owned by control-api. Other apps learn about these rows from the config topic, not by reading them.

@Entity('accounts')
export class AccountEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  /** SHA-256 hex of the key's secret part; the key itself is shown once and never stored. */
  @Column('text', { name: 'secret_hash' }) secretHash!: string;
  @Column('text') scope!: 'read' | 'write' | 'admin';
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('sources')
export class SourceEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  @Column('text') dialect!: string;
  @Column('boolean', { default: true }) enabled!: boolean;
  /** Signature scheme with its secret sealed by SECRETS_KEY. */
  @Column('jsonb', { default: () => `'{"kind":"none"}'` }) signature!: Record<string, unknown>;
  @Column('jsonb', { nullable: true }) dedupe!: { fields: string[]; windowSeconds: number } | null;
  @Column('integer', { name: 'rate_limit_per_second', nullable: true }) rateLimitPerSecond!: number | null;
  @Column('text', { name: 'initiated_from', default: 'api' }) initiatedFrom!: string;
  @Column('text', { name: 'list_id', nullable: true }) listId!: string | null;
  @Column('integer', { default: 1 }) version!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('source_tokens')
export class SourceTokenEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'source_id' }) sourceId!: string;
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('endpoints')
export class EndpointEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') url!: string;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('boolean', { default: true }) enabled!: boolean;
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason!: string | null;
  @Column('text', { name: 'event_types', array: true }) eventTypes!: string[];
  @Column('text', { name: 'initiated_from', array: true, nullable: true }) initiatedFrom!: string[] | null;
  @Column('text', { name: 'list_id', nullable: true }) listId!: string | null;
  @Column('jsonb', { nullable: true }) filter!: unknown;
  @Column('text', { default: 'json' }) format!: 'json' | 'form';
  @Column('integer', { name: 'rate_limit_per_second', nullable: true }) rateLimitPerSecond!: number | null;
  @Column('integer', { name: 'max_concurrency', default: 10 }) maxConcurrency!: number;
  @Column('integer', { default: 1 }) version!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('endpoint_secrets')
export class EndpointSecretEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'endpoint_id' }) endpointId!: string;
  /** `whsec_…` sealed with SECRETS_KEY (AES-256-GCM). */
  @Column('text', { name: 'secret_enc' }) secretEnc!: string;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('automations')
export class AutomationEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  @Column('boolean', { default: true }) enabled!: boolean;
  @Column('jsonb') trigger!: unknown;
  @Column('jsonb') actions!: unknown;
  @Column('integer', { default: 1 }) version!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
