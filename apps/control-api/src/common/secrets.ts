import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import { SecretBox } from '@hookstream/webhooks';
import type { ControlApiConfig } from '../control-api.config';

/**
 * Seals secrets with the deployment's SECRETS_KEY. No context is bound: the gateway and the
 * delivery app open them with the default (empty) context.
 */
@Injectable()
export class SecretsService {
  private readonly box: SecretBox;

  constructor(@Inject(APP_CONFIG) config: ControlApiConfig) {
    this.box = SecretBox.fromBase64Key(config.SECRETS_KEY);
  }

  seal(secret: string): string {
    return this.box.seal(secret);
  }

  open(sealed: string): string {
    return this.box.open(sealed);
  }
}
