import './tracing';
import { loadConfig } from '@hookstream/config';
import { exitOnBootError, runApp } from '@hookstream/platform';
import { AppModule, automationConsumer } from './app.module';
import { AutomationConfig } from './automation.config';

async function main(): Promise<void> {
  const config = loadConfig(AutomationConfig);
  await runApp({ appName: 'automation', module: AppModule.register(config), config, consumer: automationConsumer(config) });
}

main().catch(exitOnBootError('automation'));
