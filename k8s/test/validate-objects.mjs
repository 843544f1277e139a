// Validates Kubernetes objects (a JSON array on stdin) against their official schemas and prints
// one JSON report on stdout. A separate ESM process because kubernetes-models ships only ES modules,
// which Jest's CommonJS runtime cannot load.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kubernetes from 'kubernetes-models';
import * as keda from '@kubernetes-models/keda';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import Ajv from 'ajv';

const here = dirname(fileURLToPath(import.meta.url));

/** Every model class, keyed "apiVersion/kind", found by walking the packages' namespaces. */
function collectModels(ns, into) {
  for (const value of Object.values(ns)) {
    if (typeof value === 'function' && typeof value.apiVersion === 'string' && typeof value.kind === 'string') {
      into.set(`${value.apiVersion}/${value.kind}`, value);
    } else if (value && typeof value === 'object') {
      collectModels(value, into);
    }
  }
  return into;
}

const models = collectModels(prometheusOperator, collectModels(keda, collectModels(kubernetes, new Map())));
const ajv = new Ajv.default({ allErrors: true, strict: true, allowUnionTypes: true });
const customValidators = new Map([
  ['kafka.strimzi.io/v1beta2/KafkaTopic', ajv.compile(JSON.parse(readFileSync(join(here, 'strimzi-kafkatopic.schema.json'), 'utf8')))],
]);

function validateOne(obj) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const custom = customValidators.get(key);
  if (custom) {
    return custom(obj) ? [] : custom.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
  }
  const Model = models.get(key);
  if (!Model) return [`unknown kind ${key}: no schema to validate it against`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const report = objects.map((obj, index) => ({
  index,
  key: `${obj.apiVersion}/${obj.kind}/${obj.metadata?.name}`,
  errors: validateOne(obj),
}));
process.stdout.write(JSON.stringify({ modelCount: models.size, report }));
