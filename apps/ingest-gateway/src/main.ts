import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { AppModule } from './app.module';
import { GatewayConfig } from './gateway.config';
import { registerBodyParsers } from './hooks/body-parsers';

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig);
  await runApp({
    appName: 'ingest-gateway',
    module: AppModule.register(config),
    config,
    bodyLimitBytes: Math.max(config.MAX_BODY_BYTES, config.BATCH_MAX_BYTES),
    bodyParser: false,
    configure: (app) => registerBodyParsers(app.getHttpAdapter().getInstance(), Math.max(config.MAX_BODY_BYTES, config.BATCH_MAX_BYTES)),
  });
}

main().catch(exitOnBootError('ingest-gateway'));
