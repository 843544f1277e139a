// Renders every kustomization with the real kustomize, validates each object against the official
// Kubernetes / KEDA schemas (kubernetes-models) or the Strimzi KafkaTopic schema, and checks the
// house rules. kustomize comes from KUSTOMIZE_BIN, PATH or the project cache, else it is built
// once with Go by tools/k8s/ensure-kustomize.sh (about a minute).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigValidationError, KafkaClientConfig, loadConfig } from '@hookstream/config';
import { topicPlan } from '@hookstream/contracts';

const repo = join(__dirname, '..', '..');
const targets = ['base', 'overlays/dev', 'overlays/prod', 'overlays/keda'] as const;
type Target = (typeof targets)[number];

const apps = ['ingest-gateway', 'control-api', 'validator', 'enricher', 'automation', 'delivery', 'projector'];
const httpApps = ['ingest-gateway', 'control-api'];
const consumerApps = ['validator', 'enricher', 'automation', 'delivery', 'projector'];
const k8sPartitions = 12;

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec?: unknown;
  data?: Record<string, string>;
}
interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: Meta;
    spec: {
      automountServiceAccountToken?: boolean;
      terminationGracePeriodSeconds?: number;
      securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
      containers: Container[];
      volumes?: { name: string; emptyDir?: object; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
    };
  };
}
interface KafkaTopicSpec {
  topicName?: string;
  partitions: number;
  replicas: number;
  config: Record<string, string | number>;
}
interface ValidationReport {
  modelCount: number;
  report: { index: number; key: string; errors: string[] }[];
}

function ensureKustomize(): string {
  const out = execFileSync('bash', [join(repo, 'tools/k8s/ensure-kustomize.sh')], {
    cwd: repo,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60 * 1000,
  });
  const lines = out.trim().split('\n');
  return lines[lines.length - 1];
}

function render(kustomize: string, target: Target | 'monitoring'): K8sObject[] {
  const yamlText = execFileSync(kustomize, ['build', join(repo, 'k8s', target)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(yamlText).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kustomize output for ${target} is not valid YAML: ${doc.errors[0].message}`);
    return doc.toJSON() as K8sObject;
  }).filter((o) => o !== null);
}

function validate(objects: unknown[]): ValidationReport {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-objects.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as ValidationReport;
}

const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const deploymentSpec = (o: K8sObject): DeploymentSpec => o.spec as DeploymentSpec;
const appContainer = (o: K8sObject): Container => {
  const containers = deploymentSpec(o).template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0];
};

let kustomize = '';
const rendered = new Map<Target, K8sObject[]>();

beforeAll(() => {
  kustomize = ensureKustomize();
  for (const t of targets) rendered.set(t, render(kustomize, t));
}, 16 * 60 * 1000);

const objectsOf = (t: Target): K8sObject[] => {
  const objects = rendered.get(t);
  if (!objects) throw new Error(`${t} was not rendered`);
  return objects;
};

describe('schema validation', () => {
  it('the validator knows the core kinds and rejects a wrong field type and an unknown kind', () => {
    const deployment = structuredClone(named(objectsOf('base'), 'Deployment', 'validator'));
    expect(deployment).toBeDefined();
    const broken = structuredClone(deployment) as K8sObject;
    (broken.spec as { replicas: unknown }).replicas = 'two';
    const topic = structuredClone(ofKind(objectsOf('base'), 'KafkaTopic')[0]);
    (topic.spec as { partitions: unknown }).partitions = '12';
    const unknownKind = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };

    const { modelCount, report } = validate([deployment, broken, topic, unknownKind]);

    expect(modelCount).toBeGreaterThan(100);
    expect(report[0].errors).toEqual([]);
    expect(report[1].errors.join('\n')).toMatch(/replicas/);
    expect(report[2].errors.join('\n')).toMatch(/partitions/);
    expect(report[3].errors.join('\n')).toMatch(/unknown kind example.com\/v1\/Widget/);
  });

  it.each(targets)('every object rendered from k8s/%s is valid against its schema', (t) => {
    const objects = objectsOf(t);
    expect(objects.length).toBeGreaterThan(20);
    const { report } = validate(objects);
    expect(report.filter((r) => r.errors.length > 0)).toEqual([]);
  });
});

describe.each(targets)('house rules in k8s/%s', (t) => {
  it('has a Deployment, Service and PodDisruptionBudget per app and nothing unexpected', () => {
    const objects = objectsOf(t);
    for (const app of apps) {
      expect(named(objects, 'Deployment', app)).toBeDefined();
      expect(named(objects, 'Service', app)).toBeDefined();
      expect(named(objects, 'PodDisruptionBudget', app)).toBeDefined();
    }
    expect(ofKind(objects, 'Deployment').map((o) => o.metadata.name).sort()).toEqual([...apps].sort());
    // Secrets carry real credentials: they are created out of band, never rendered from the repo.
    expect(ofKind(objects, 'Secret')).toEqual([]);
  });

  it('runs every Deployment hardened, probed on /health/* and with resources', () => {
    for (const d of ofKind(objectsOf(t), 'Deployment')) {
      const pod = deploymentSpec(d).template.spec;
      const c = appContainer(d);
      const where = `${t} ${d.metadata.name}`;

      expect([where, pod.automountServiceAccountToken]).toEqual([where, false]);
      expect([where, pod.securityContext?.runAsNonRoot, pod.securityContext?.seccompProfile?.type]).toEqual([where, true, 'RuntimeDefault']);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15);

      expect([where, c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path, c.startupProbe?.httpGet?.path]).toEqual([
        where,
        '/health/live',
        '/health/ready',
        '/health/live',
      ]);
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
        expect(probe?.httpGet?.port).toBe('http');
      }
      expect(c.ports?.find((p) => p.name === 'http')).toBeDefined();

      for (const key of ['cpu', 'memory']) {
        expect([where, key, typeof c.resources?.requests?.[key], typeof c.resources?.limits?.[key]]).toEqual([where, key, 'string', 'string']);
      }

      expect([where, c.securityContext]).toEqual([
        where,
        expect.objectContaining({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }),
      ]);
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(tmp).toBeDefined();
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    }
  });

  it('takes SECRETS_KEY and DATABASE_URL from the hookstream-secrets Secret and the rest from the generated ConfigMap', () => {
    const objects = objectsOf(t);
    const configMaps = ofKind(objects, 'ConfigMap');
    expect(configMaps).toHaveLength(1);
    const cm = configMaps[0];
    expect(cm.metadata.name).toMatch(/^hookstream-config-/);
    expect(cm.data).toEqual(expect.objectContaining({ HTTP_HOST: '0.0.0.0', KAFKA_CREATE_TOPICS: 'false', KAFKA_TOPIC_PARTITIONS: String(k8sPartitions) }));
    expect(cm.data?.SECRETS_KEY).toBeUndefined();

    for (const d of ofKind(objects, 'Deployment')) {
      const c = appContainer(d);
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      for (const key of ['SECRETS_KEY', 'DATABASE_URL']) {
        expect([d.metadata.name, env.get(key)?.valueFrom?.secretKeyRef]).toEqual([d.metadata.name, { name: 'hookstream-secrets', key }]);
      }
      expect(c.envFrom?.map((e) => e.configMapRef?.name)).toEqual([cm.metadata.name]);
      expect(env.get('APP')?.value).toBe(d.metadata.name);
      expect(Number(env.get('HTTP_PORT')?.value)).toBe(c.ports?.find((p) => p.name === 'http')?.containerPort);
    }
  });

  it('selects each app with its Service, PDB and autoscaler, and autoscales every app exactly once', () => {
    const objects = objectsOf(t);
    for (const app of apps) {
      const d = named(objects, 'Deployment', app) as K8sObject;
      const podLabels = deploymentSpec(d).template.metadata.labels ?? {};
      const service = named(objects, 'Service', app)?.spec as { selector: Record<string, string> };
      const pdb = named(objects, 'PodDisruptionBudget', app)?.spec as { selector: { matchLabels: Record<string, string> } };
      expect(podLabels).toEqual(expect.objectContaining(service.selector));
      expect(podLabels).toEqual(expect.objectContaining(pdb.selector.matchLabels));

      const hpa = named(objects, 'HorizontalPodAutoscaler', app);
      const scaledObject = named(objects, 'ScaledObject', app);
      expect([app, [hpa, scaledObject].filter(Boolean).length]).toEqual([app, 1]);
      const target = ((hpa ?? scaledObject)?.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name;
      expect(target).toBe(app);
      if (httpApps.includes(app)) expect(hpa).toBeDefined();
    }
  });

  it('has a KafkaTopic for every topic in the contracts topic plan, with its partitions, retention, cleanup policy and max.message.bytes', () => {
    const topics = ofKind(objectsOf(t), 'KafkaTopic');
    const plan = topicPlan(k8sPartitions);
    const byName = new Map(topics.map((o) => [(o.spec as KafkaTopicSpec).topicName ?? o.metadata.name, o]));
    expect([...byName.keys()].sort()).toEqual(plan.map((p) => p.name).sort());
    for (const spec of plan) {
      const topic = byName.get(spec.name);
      expect([spec.name, topic === undefined]).toEqual([spec.name, false]);
      const s = topic?.spec as KafkaTopicSpec;
      const expectedPartitions = spec.name.endsWith('.dlq') || spec.cleanupPolicy === 'compact' ? 1 : k8sPartitions;
      expect([spec.name, s.partitions, String(s.config['retention.ms']), s.config['cleanup.policy'], String(s.config['max.message.bytes'])]).toEqual([
        spec.name,
        expectedPartitions,
        String(spec.retentionMs),
        spec.cleanupPolicy,
        String(spec.maxMessageBytes),
      ]);
      expect(topic?.metadata.labels?.['strimzi.io/cluster']).toBe('hookstream');
      expect(topic?.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      // A write needs min.insync.replicas live copies; more than the replicas would block all writes.
      expect(Number(s.config['min.insync.replicas'])).toBeLessThanOrEqual(s.replicas);
    }
  });
});

describe('overlays', () => {
  const namespaced = (o: K8sObject): boolean => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind);

  it('leaves the base namespace-agnostic and puts every overlay object in one namespace', () => {
    expect(objectsOf('base').filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
    for (const t of ['overlays/dev', 'overlays/prod', 'overlays/keda'] as const) {
      const namespaces = new Set(objectsOf(t).filter(namespaced).map((o) => o.metadata.namespace));
      expect([t, namespaces.size, namespaces.has(undefined)]).toEqual([t, 1, false]);
    }
  });

  it('runs one replica of each app in dev and at least three in prod', () => {
    for (const d of ofKind(objectsOf('overlays/dev'), 'Deployment')) expect([d.metadata.name, deploymentSpec(d).replicas]).toEqual([d.metadata.name, 1]);
    for (const d of ofKind(objectsOf('overlays/prod'), 'Deployment')) expect(deploymentSpec(d).replicas).toBeGreaterThanOrEqual(3);
    for (const h of ofKind(objectsOf('overlays/prod'), 'HorizontalPodAutoscaler')) {
      expect((h.spec as { minReplicas: number }).minReplicas).toBeGreaterThanOrEqual(3);
    }
  });

  it('never scales a consumer beyond the partitions of the topic it reads', () => {
    for (const t of targets) {
      for (const app of consumerApps) {
        const hpa = named(objectsOf(t), 'HorizontalPodAutoscaler', app)?.spec as { maxReplicas: number } | undefined;
        const so = named(objectsOf(t), 'ScaledObject', app)?.spec as { maxReplicaCount: number } | undefined;
        expect(hpa?.maxReplicas ?? so?.maxReplicaCount).toBeLessThanOrEqual(k8sPartitions);
      }
    }
  });

  it('scales consumers on Kafka lag with KEDA in the keda overlay', () => {
    const objects = objectsOf('overlays/keda');
    for (const app of consumerApps) {
      const so = named(objects, 'ScaledObject', app)?.spec as { triggers: { type: string; metadata: Record<string, string> }[] };
      expect(so.triggers.map((tr) => tr.type)).toEqual(['kafka']);
      expect(topicPlan(k8sPartitions).map((p) => p.name)).toContain(so.triggers[0].metadata.topic);
    }
  });

  it('runs the image docker/ builds, with the APP and the secrets docker/compose.yaml gives each app', () => {
    const compose = parseAllDocuments(readFileSync(join(repo, 'docker/compose.yaml'), 'utf8'), { merge: true })[0].toJS({ maxAliasCount: -1 }) as {
      services: Record<string, { image?: string; environment?: Record<string, string> }>;
    };
    // The same repository as compose's default image (hookstream:local); dev runs that local build.
    const composeImage = String(compose.services['ingest-gateway']?.image).replace(/^\$\{[A-Z_]+:-(.+)\}$/, '$1');
    expect(composeImage).toBe('hookstream:local');
    for (const d of ofKind(objectsOf('overlays/dev'), 'Deployment')) expect(appContainer(d).image).toBe(composeImage);
    for (const t of targets) {
      for (const d of ofKind(objectsOf(t), 'Deployment')) {
        const app = d.metadata.name;
        const env = compose.services[app]?.environment ?? {};
        const c = appContainer(d);
        expect([t, app, c.image?.replace(/:[^:/]+$/, '').split('/').pop()]).toEqual([t, app, 'hookstream']);
        expect([t, app, c.env?.find((e) => e.name === 'APP')?.value]).toEqual([t, app, env['APP']]);
        // What compose passes as a secret, k8s takes from the Secret (never a literal).
        const fromSecret = new Set((c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name));
        for (const name of ['SECRETS_KEY', 'DATABASE_URL']) {
          expect([t, app, name, name in env, fromSecret.has(name)]).toEqual([t, app, name, true, true]);
        }
      }
    }
  });

  it('keeps the delivery SSRF allow-list empty and the image pinned in prod', () => {
    const objects = objectsOf('overlays/prod');
    expect(ofKind(objects, 'ConfigMap')[0].data?.DELIVERY_ALLOWED_CIDRS).toBe('');
    for (const d of ofKind(objects, 'Deployment')) expect(appContainer(d).image).toMatch(/^[^:]+\/[^:]+:\d+\.\d+\.\d+$/);
  });

  it('gives the apps the KafkaTopics\' replication, and in prod TLS + SCRAM-SHA-512 with the password from a Secret and the cluster CA mounted', () => {
    for (const t of ['overlays/dev', 'overlays/prod', 'overlays/keda'] as const) {
      const objects = objectsOf(t);
      const cm = ofKind(objects, 'ConfigMap')[0].data ?? {};
      const topics = ofKind(objects, 'KafkaTopic').map((o) => o.spec as KafkaTopicSpec);
      expect([t, new Set(topics.map((s) => `${s.replicas}/${s.config['min.insync.replicas']}`))]).toEqual([t, new Set([`${cm.KAFKA_REPLICATION_FACTOR}/${cm.KAFKA_MIN_INSYNC_REPLICAS}`])]);
      // The Kafka settings pass the apps' own boot validation (files exist only in the pod).
      const kafkaEnv = { ...cm, KAFKA_SSL_CA_FILE: '', KAFKA_SASL_PASSWORD: cm.KAFKA_SASL_MECHANISM ? 'from-secret' : '' };
      expect(() => loadConfig(KafkaClientConfig, kafkaEnv)).not.toThrow(ConfigValidationError);
    }
    expect(ofKind(objectsOf('overlays/dev'), 'ConfigMap')[0].data?.KAFKA_SSL).toBeUndefined();

    for (const t of ['overlays/prod', 'overlays/keda'] as const) {
      const objects = objectsOf(t);
      const cm = ofKind(objects, 'ConfigMap')[0].data ?? {};
      expect(cm).toEqual(expect.objectContaining({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'hookstream', KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }));
      expect(cm.KAFKA_SASL_PASSWORD).toBeUndefined();
      for (const d of ofKind(objects, 'Deployment')) {
        const c = appContainer(d);
        const pod = deploymentSpec(d).template.spec;
        expect([d.metadata.name, c.env?.find((e) => e.name === 'KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef]).toEqual([d.metadata.name, { name: 'hookstream', key: 'password' }]);
        const mount = c.volumeMounts?.find((m) => cm.KAFKA_SSL_CA_FILE.startsWith(`${m.mountPath}/`));
        expect([d.metadata.name, mount?.readOnly]).toEqual([d.metadata.name, true]);
        const volume = pod.volumes?.find((v) => v.name === mount?.name);
        expect(volume?.secret).toEqual({ secretName: 'hookstream-cluster-ca-cert', items: [{ key: 'ca.crt', path: cm.KAFKA_SSL_CA_FILE.slice((mount?.mountPath.length ?? 0) + 1) }] });
      }
    }
    // KEDA reads lag the way the apps connect.
    for (const so of ofKind(objectsOf('overlays/keda'), 'ScaledObject')) {
      const trigger = (so.spec as { triggers: { metadata: Record<string, string>; authenticationRef?: { name: string } }[] }).triggers[0];
      expect(trigger.metadata).toEqual(expect.objectContaining({ bootstrapServers: 'hookstream-kafka-bootstrap:9093', sasl: 'scram_sha512', tls: 'enable' }));
      expect(named(objectsOf('overlays/keda'), 'TriggerAuthentication', trigger.authenticationRef?.name ?? '')).toBeDefined();
    }
  });
});

/** Every `hookstream_*` metric name the code registers (`name: 'hookstream_…'`). */
function definedMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/name: '(hookstream_[a-z_]+)'/g)) names.add(m[1]);
      }
    }
  };
  for (const root of ['apps', 'libs']) {
    for (const project of readdirSync(join(repo, root))) {
      const src = join(repo, root, project, 'src');
      try {
        if (statSync(src).isDirectory()) walk(src);
      } catch {
        // a project without src/
      }
    }
  }
  return names;
}

/** The metric names an expression reads (histogram series map back to their histogram). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(hookstream_[a-z_]+)\b/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''));
}

describe('monitoring kit (k8s/monitoring)', () => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render(kustomize || ensureKustomize(), 'monitoring');
  });

  it('renders a PodMonitor, a PrometheusRule and the Grafana dashboard ConfigMap, each valid against its schema', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/hookstream-grafana-dashboard', 'PodMonitor/hookstream', 'PrometheusRule/hookstream']);
    const { report } = validate(objects);
    expect(report.filter((r) => r.errors.length > 0)).toEqual([]);
    for (const o of objects) expect(o.metadata.namespace).toBe('hookstream');
  });

  it('scrapes /metrics on the port every app Deployment names http, selecting the pods by their part-of label', () => {
    const pm = named(objects, 'PodMonitor', 'hookstream')?.spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] };
    expect(pm.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    for (const d of ofKind(objectsOf('base'), 'Deployment')) {
      expect(deploymentSpec(d).template.metadata.labels).toEqual(expect.objectContaining(pm.selector.matchLabels));
      expect(appContainer(d).ports?.map((p) => p.name)).toContain('http');
    }
  });

  it('alerts on lag, dead letters, delivery failures, disabled endpoints, retention and readiness, reading only metrics the apps export', () => {
    const rule = named(objects, 'PrometheusRule', 'hookstream')?.spec as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
    const rules = rule.groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.alert).map((r) => r.alert).sort()).toEqual([
      'HookstreamAppNotReady', 'HookstreamConsumerLagGrowing', 'HookstreamDeadLetters', 'HookstreamDeliveryFailureRatio', 'HookstreamEndpointDisabled',
      'HookstreamRetentionBehind',
    ]);
    const defined = definedMetricNames();
    expect(defined.has('hookstream_consumer_lag')).toBe(true);
    for (const r of rules) for (const m of metricsIn(r.expr)) expect([r.alert ?? r.record, m, defined.has(m)]).toEqual([r.alert ?? r.record, m, true]);
  });

  it('ships a Grafana dashboard whose panels query only metrics the apps export', () => {
    const cm = named(objects, 'ConfigMap', 'hookstream-grafana-dashboard') as K8sObject & { metadata: { labels?: Record<string, string> } };
    expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
    const dashboard = JSON.parse(cm.data?.['hookstream.json'] ?? '') as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.uid).toBe('hookstream');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
    const defined = definedMetricNames();
    for (const p of dashboard.panels) {
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) for (const m of metricsIn(t.expr)) expect([p.title, m, defined.has(m)]).toEqual([p.title, m, true]);
    }
  });
});
