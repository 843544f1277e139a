import { dtoCheck, RawEventDto, Topics } from '@hookstream/contracts';
import { validateSync } from 'class-validator';
import { PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { rawEventProblems, ValidationConsumer } from './validation.consumer';
import type { BatchOutcome, ValidationService } from './validation.service';

const GOOD: RawEventDto = {
  id: 'evt_0mabc0000000000000000000', accountId: 'acc_1', sourceId: 'src_1', receivedAt: '2026-03-01T10:00:00.000Z',
  contentType: 'application/json', headers: {}, body: { event: 'purchase' }, clientIp: null, idempotencyKey: null, dialect: 'auto',
  initiatedFrom: 'api', batch: false, dedupe: null,
};

function msg(value: unknown, offset = '7'): InboundMessage<RawEventDto> {
  return { topic: Topics.eventsRaw, partition: 2, offset, key: 'src_1', value: value as RawEventDto, headers: {}, timestamp: GOOD.receivedAt };
}

describe('rawEventProblems', () => {
  it('accepts what the gateway publishes, whatever the body', () => {
    expect(rawEventProblems(GOOD)).toEqual([]);
    expect(rawEventProblems({ ...GOOD, body: [1, 2], dedupe: { fields: ['person.email'], windowSeconds: 3600 } })).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    ['null (tombstone)', null, /JSON object/],
    ['an array', [GOOD], /JSON object/],
    ['no accountId', { ...GOOD, accountId: undefined }, /accountId/],
    ['an id that is not an event id', { ...GOOD, id: 'nope' }, /id/],
    ['an unknown dialect', { ...GOOD, dialect: 'klingon' }, /dialect/],
    ['an unknown initiatedFrom', { ...GOOD, initiatedFrom: 'mars' }, /initiatedFrom/],
    ['a receivedAt that is no date', { ...GOOD, receivedAt: 'yesterday' }, /receivedAt/],
    ['a zero dedupe window', { ...GOOD, dedupe: { fields: ['person.email'], windowSeconds: 0 } }, /windowSeconds/],
    ['dedupe fields that are not strings', { ...GOOD, dedupe: { fields: [1], windowSeconds: 60 } }, /dedupe.fields/],
  ])('refuses %s', (_name, value, problem) => {
    const problems = rawEventProblems(value);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('; ')).toMatch(problem);
  });
});

describe('rawEventProblems: the envelope check agrees with class-validator', () => {
  const { body: _body, ...ENVELOPE } = GOOD;
  const classValidatorAccepts = (e: Record<string, unknown>): boolean =>
    validateSync(Object.assign(new RawEventDto(), e), { forbidUnknownValues: false }).length === 0;
  // Every field of RawEventDto but the body, with values either side of each of its decorators.
  const variants: Record<string, unknown[]> = {
    id: ['evt_abc123', 'evt_', 'EVT_abc', 'evt_ABC', 'evt_a-b', 42, null, undefined],
    accountId: ['acc_2', '', 42, null, undefined, ['a']],
    sourceId: ['src_2', '', 42, null, undefined],
    receivedAt: ['2026-03-01T10:00:00Z', '2026-03-01', '2026-02-30T10:00:00Z', '2026-03-01T25:00:00Z', 'yesterday', '', 1, null, undefined],
    contentType: ['text/plain', '', 'x'.repeat(200), 'x'.repeat(201), 7, null, undefined],
    headers: [{ a: 'b' }, [], 'h', null, undefined],
    clientIp: ['127.0.0.1', '', 7, null, undefined],
    idempotencyKey: ['k', 'k'.repeat(300), 'k'.repeat(301), 7, null, undefined],
    dialect: ['auto', 'generic', 'activly', 'klingon', '', null, undefined],
    initiatedFrom: ['public', 'system', 'mars', null, undefined],
    batch: [true, false, 'true', 0, null, undefined],
    dedupe: [{ fields: [], windowSeconds: 1 }, [], 'd', null, undefined],
  };
  const cases = Object.entries(variants).flatMap(([field, values]) => values.map((v) => [field, v] as const));

  it.each(cases)('agrees with class-validator on %s = %p', (field, value) => {
    const envelope: Record<string, unknown> = { ...ENVELOPE, [field]: value };
    expect(dtoCheck(RawEventDto)(Object.assign(new RawEventDto(), envelope))).toBe(classValidatorAccepts(envelope));
  });

  it('accepts the envelope the gateway publishes and words no problem for it', () => {
    expect(rawEventProblems({ ...ENVELOPE, body: {} })).toEqual([]);
    expect(classValidatorAccepts(ENVELOPE)).toBe(true);
  });
});

describe('ValidationConsumer', () => {
  it('fails a batch with a malformed message as permanent, before the service sees any of it', async () => {
    const calls: unknown[] = [];
    const service = { process: async (m: unknown[]) => { calls.push(m); return { valid: 0, rejected: 0, duplicates: 0 } as BatchOutcome; } };
    const consumer = new ValidationConsumer(service as unknown as ValidationService);
    await expect(consumer.onRaw([msg(GOOD, '6'), msg({ ...GOOD, accountId: 42 }, '7')])).rejects.toThrow(PermanentMessageError);
    await expect(consumer.onRaw([msg(GOOD, '6'), msg({ ...GOOD, accountId: 42 }, '7')])).rejects.toThrow(/raw\.v1\[2\]@7: invalid raw event: accountId/);
    expect(calls).toHaveLength(0);
    await consumer.onRaw([msg(GOOD)]);
    expect(calls).toHaveLength(1);
  });
});
