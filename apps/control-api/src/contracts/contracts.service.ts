import { Injectable } from '@nestjs/common';
import { buildAsyncApi, inlineRefs, renderAsyncApiHtml, webhookCatalog, type JsonSchema, type JsonValue } from '@hookstream/schemas';

export interface EventTypeView {
  type: string;
  description: string;
  /** Self-contained JSON Schema of the webhook body (format json). */
  schema: JsonValue;
  example: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** The published contracts, built once from libs/contracts on first use (they cannot change while the process runs). */
@Injectable()
export class ContractsService {
  private asyncApi?: JsonSchema;
  private html?: string;
  private eventTypes?: EventTypeView[];

  asyncApiDocument(): JsonSchema {
    this.asyncApi ??= buildAsyncApi();
    return this.asyncApi;
  }

  asyncApiHtml(): string {
    this.html ??= renderAsyncApiHtml(this.asyncApiDocument());
    return this.html;
  }

  outboundEventTypes(): EventTypeView[] {
    if (!this.eventTypes) {
      const { events, schemas } = webhookCatalog();
      this.eventTypes = events.map((e) => ({ type: e.type, description: e.description, schema: inlineRefs(e.schema, schemas), example: e.example }));
    }
    return this.eventTypes;
  }
}
