import { KafkaRequestCounter } from '@hookstream/kafka';
import { ConsumerMetrics, counter, gauge, metricSample as sample, metricsRegistry, registerKafkaRequestMetric, scrapeGauge } from './metrics';

describe('metrics', () => {
  it('returns the registered counter for a name instead of throwing on a second registration', () => {
    const a = counter({ name: 'hookstream_test_twice_total', help: 'x' });
    const b = counter({ name: 'hookstream_test_twice_total', help: 'x' });
    expect(b).toBe(a);
  });

  it('refuses a name registered as another kind', () => {
    counter({ name: 'hookstream_test_kind', help: 'x' });
    expect(() => scrapeGauge({ name: 'hookstream_test_other', help: 'x' })).not.toThrow();
    expect(() => gauge({ name: 'hookstream_test_kind', help: 'x' })).toThrow(/already registered as a Counter/);
  });

  it('turns transport reports into lag, message, batch, handler call, error, redelivery and DLQ series', async () => {
    const m = new ConsumerMetrics('g1');
    m.batchStarted('t1', 3, 10, 42);
    expect(await sample('hookstream_consumer_lag', { group: 'g1', topic: 't1', partition: '3' })).toBe(42);
    m.committed('t1', 3, 10, 32);
    m.committed('t1', 3, 32, 0);
    m.batchFinished('t1', 3, 0.2);
    m.handlerFailed('t1');
    m.handlerFailed('t1');
    m.redelivered('t1', 5);
    m.deadLettered('t1');
    m.handlerCalled('t1', 10, 1);
    m.handlerCalled('t1', 30, 4);
    expect(await sample('hookstream_consumer_lag', { group: 'g1', topic: 't1', partition: '3' })).toBe(0);
    expect(await sample('hookstream_consumer_messages_total', { group: 'g1', topic: 't1' })).toBe(42);
    expect(await sample('hookstream_consumer_handler_errors_total', { group: 'g1', topic: 't1' })).toBe(2);
    expect(await sample('hookstream_consumer_redeliveries_total', { group: 'g1', topic: 't1' })).toBe(5);
    expect(await sample('hookstream_consumer_dlq_messages_total', { group: 'g1', topic: 't1' })).toBe(1);
    expect(await sample('hookstream_consumer_handler_calls_total', { group: 'g1', topic: 't1' })).toBe(2);
    expect(await sample('hookstream_consumer_handler_call_partitions_total', { group: 'g1', topic: 't1' })).toBe(5);
    const text = await metricsRegistry.metrics();
    expect(text).toContain('hookstream_consumer_batch_size_count{group="g1",topic="t1"} 1');
    expect(text).toContain('hookstream_consumer_batch_duration_seconds_sum{group="g1",topic="t1"} 0.2');
  });

  it('takes sampled lag, and drops the series of partitions a rebalance moved away', async () => {
    const m = new ConsumerMetrics('g2');
    m.batchStarted('t1', 0, 5, 5);
    m.batchStarted('t1', 1, 5, 5);
    m.lagSampled('t1', 0, 120);
    expect(await sample('hookstream_consumer_lag', { group: 'g2', topic: 't1', partition: '0' })).toBe(120);
    m.assigned(new Map([['t1', [0]], ['t2', [4]]]));
    expect(await sample('hookstream_consumer_lag', { group: 'g2', topic: 't1', partition: '0' })).toBe(120);
    expect(await sample('hookstream_consumer_lag', { group: 'g2', topic: 't1', partition: '1' })).toBeUndefined();
    m.lagSampled('t1', 1, 7);
    expect(await sample('hookstream_consumer_lag', { group: 'g2', topic: 't1', partition: '1' })).toBe(7);
  });
});

describe('hookstream_kafka_requests_total', () => {
  it('exposes the request counter by client, group and API, as counted at scrape time', async () => {
    const c = new KafkaRequestCounter();
    registerKafkaRequestMetric(c);
    c.record('consumer', 'hookstream-validator', 'Fetch');
    c.record('consumer', 'hookstream-validator', 'Fetch');
    c.record('producer', '', 'Produce');
    expect(await sample('hookstream_kafka_requests_total', { client: 'consumer', group: 'hookstream-validator', api: 'Fetch' })).toBe(2);
    expect(await sample('hookstream_kafka_requests_total', { client: 'producer', group: '', api: 'Produce' })).toBe(1);
    c.record('consumer', 'hookstream-validator', 'OffsetCommit');
    c.record('consumer', 'hookstream-validator', 'Fetch');
    expect(await sample('hookstream_kafka_requests_total', { client: 'consumer', group: 'hookstream-validator', api: 'Fetch' })).toBe(3);
    expect(await metricsRegistry.metrics()).toContain('hookstream_kafka_requests_total{client="consumer",group="hookstream-validator",api="OffsetCommit"} 1');
  });
});
