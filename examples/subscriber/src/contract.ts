import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** The parts of an AsyncAPI 3 document this subscriber reads. */
export interface AsyncApiDocument {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref?: string }> }>;
  components: { messages: Record<string, { headers?: object; payload?: object }> };
}

/** A topic's published contract: validators for its message headers and values. */
export interface TopicContract {
  topic: string;
  messageId: string;
  /** Problems with a decoded value; empty when it matches the published schema. */
  checkValue(value: unknown): string[];
  /** Problems with the record's headers (as strings); empty when they match. */
  checkHeaders(headers: Record<string, string>): string[];
}

function problems(validate: ValidateFunction, data: unknown): string[] {
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/**
 * Builds validators for `topic` from the AsyncAPI document Hookstream publishes
 * (`GET /asyncapi.json` on control-api, or the committed libs/schemas/published/asyncapi.json).
 * Nothing of Hookstream's code is needed: the document is the contract.
 */
export function topicContract(doc: AsyncApiDocument, topic: string): TopicContract {
  if (!doc.asyncapi?.startsWith('3.')) throw new Error(`expected an AsyncAPI 3 document, got ${String(doc.asyncapi)}`);
  const channel = Object.values(doc.channels ?? {}).find((c) => c.address === topic);
  if (!channel) throw new Error(`the document has no channel for ${topic}; topics: ${Object.values(doc.channels ?? {}).map((c) => c.address).join(', ')}`);
  const ref = Object.values(channel.messages)[0]?.$ref ?? '';
  const messageId = ref.replace('#/components/messages/', '');
  if (!doc.components.messages[messageId]) throw new Error(`${topic}: message ${ref} is not in components.messages`);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // The whole document is registered once, so the payload's $refs into components.schemas resolve.
  ajv.addSchema(doc as unknown as object, 'asyncapi');
  const payload = ajv.compile({ $ref: `asyncapi#/components/messages/${messageId}/payload` });
  const headers = ajv.compile({ $ref: `asyncapi#/components/messages/${messageId}/headers` });
  return {
    topic,
    messageId,
    checkValue: (value) => problems(payload, value),
    checkHeaders: (h) => problems(headers, h),
  };
}

export async function fetchAsyncApi(url: string): Promise<AsyncApiDocument> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: is control-api running there? (set ASYNCAPI_URL)`);
  return (await res.json()) as AsyncApiDocument;
}
