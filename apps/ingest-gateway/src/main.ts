import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { AppModule } from './app.module';
import { GatewayConfig } from './gateway.config';
import { bodyLimitBytes, configureGatewayHttp, gatewayFastifyOptions } from './hooks/hooks.http';

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig);
  await runApp({
    appName: 'ingest-gateway',
    module: AppModule.register(config),
    config,
    bodyLimitBytes: bodyLimitBytes(config),
    bodyParser: false,
    fastify: gatewayFastifyOptions(config),
    configure: (app) => configureGatewayHttp(app, config),
  });
}

main().catch(exitOnBootError('ingest-gateway'));
