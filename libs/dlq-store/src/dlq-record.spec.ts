import { DLQ_HEADERS, REPLAY_HEADERS } from '@hookstream/kafka';
import { accountOfValue, recordOf } from './dlq-record';

describe('dead letter records', () => {
  it('finds the account at the top of the value or under raw, and none in what is not JSON', () => {
    expect(accountOfValue(Buffer.from(JSON.stringify({ id: 'evt_1', accountId: 'acc_1' })))).toBe('acc_1');
    expect(accountOfValue(Buffer.from(JSON.stringify({ raw: { accountId: 'acc_2' }, reasons: [] })))).toBe('acc_2');
    expect(accountOfValue(Buffer.from('{"accountId": "acc_3", oops'))).toBeNull();
    expect(accountOfValue(Buffer.from(JSON.stringify({ accountId: "x' OR 1=1" })))).toBeNull();
    expect(accountOfValue(null)).toBeNull();
  });

  it('reads error, attempts, group, origin from the DLQ headers and keeps the other headers for the replay', () => {
    const r = recordOf('hookstream.events.raw.v1.dlq', 0, {
      offset: '42',
      key: Buffer.from('src_1'),
      value: Buffer.from(JSON.stringify({ accountId: 'acc_1' })),
      headers: {
        ce_id: 'evt_1',
        traceparent: '00-abc-def-01',
        [DLQ_HEADERS.error]: 'boom',
        [DLQ_HEADERS.attempts]: '3',
        [DLQ_HEADERS.topic]: 'hookstream.events.raw.v1',
        [DLQ_HEADERS.partition]: '4',
        [DLQ_HEADERS.offset]: '17',
        [DLQ_HEADERS.failedAt]: '2026-12-04T05:00:00.000Z',
        [DLQ_HEADERS.group]: 'hookstream-validator',
        [REPLAY_HEADERS.group]: 'hookstream-validator',
      },
    });
    expect(r).toMatchObject({
      dlqOffset: '42', sourceTopic: 'hookstream.events.raw.v1', consumerGroup: 'hookstream-validator', error: 'boom', attempts: 3,
      failedAt: '2026-12-04T05:00:00.000Z', accountId: 'acc_1', key: 'src_1', headers: { ce_id: 'evt_1', traceparent: '00-abc-def-01' },
    });
    expect(Object.keys(r.headers).sort()).toEqual(['ce_id', 'traceparent']);
  });

  it('falls back to the DLQ topic name for the origin and null group for dead letters written before groups were named', () => {
    const r = recordOf('hookstream.deliveries.v1.dlq', 0, { offset: '1', key: null, value: null, headers: {} });
    expect(r).toMatchObject({ sourceTopic: 'hookstream.deliveries.v1', consumerGroup: null, attempts: null, accountId: null });
  });
});
