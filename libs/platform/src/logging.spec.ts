import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LoggerModule } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import { isQuietPath, loggerParams } from './logging';

describe('request logging', () => {
  it('leaves out probes and scrapes only', () => {
    expect(isQuietPath('/health/ready')).toBe(true);
    expect(isQuietPath('/health/live')).toBe(true);
    expect(isQuietPath('/metrics')).toBe(true);
    expect(isQuietPath('/metrics?x=1')).toBe(true);
    expect(isQuietPath('/v1/sources')).toBe(false);
    expect(isQuietPath('/metricsx')).toBe(false);
    expect(isQuietPath('/healthz')).toBe(false);
    expect(isQuietPath(undefined)).toBe(false);
  });
});

describe('request logging middleware', () => {
  // The middleware runs each request inside nestjs-pino's AsyncLocalStorage; the first such run
  // switches Node's promise hooks on for the whole process. Probes and scrapes must not do it.
  @Controller()
  class Probe {
    private seen(): { inContext: boolean } {
      return { inContext: storage.getStore() !== undefined };
    }
    @Get('health/live') live() { return this.seen(); }
    @Get('health/ready') ready() { return this.seen(); }
    @Get('metrics') metrics() { return this.seen(); }
    @Get('v1/things') things() { return this.seen(); }
  }

  let app: NestFastifyApplication;
  beforeAll(async () => {
    @Module({ imports: [LoggerModule.forRoot(loggerParams('spec', 'silent'))], controllers: [Probe] })
    class SpecModule {}
    app = await NestFactory.create<NestFastifyApplication>(SpecModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('is not mounted on /health/* and /metrics, and still is on the other routes', async () => {
    const seen = async (url: string) => JSON.parse((await app.getHttpAdapter().getInstance().inject({ method: 'GET', url })).body) as { inContext: boolean };
    expect(await seen('/health/live')).toEqual({ inContext: false });
    expect(await seen('/health/ready')).toEqual({ inContext: false });
    expect(await seen('/metrics')).toEqual({ inContext: false });
    expect(await seen('/v1/things')).toEqual({ inContext: true });
  });
});
