import type { RawEventDto } from '@hookstream/contracts';

/** A raw event as the gateway would publish it, around `body`. */
export function rawEvent(body: unknown, overrides: Partial<RawEventDto> = {}): RawEventDto {
  return {
    id: 'evt_0test0000000000000000000',
    accountId: 'acc_1',
    sourceId: 'src_1',
    receivedAt: '2026-02-28T14:30:00.120Z',
    contentType: 'application/json',
    headers: {},
    body,
    clientIp: null,
    idempotencyKey: null,
    dialect: 'auto',
    initiatedFrom: 'api',
    ...overrides,
  };
}
