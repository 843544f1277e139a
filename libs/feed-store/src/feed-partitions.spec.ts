import { partitionDay, partitionName, utcDay } from './feed-partitions.service';

describe('feed partition names', () => {
  it('name a UTC day and read it back; other tables are not ours', () => {
    expect(utcDay('2026-03-01T23:59:59.999-01:00')).toBe('2026-03-02');
    expect(partitionName('2026-03-02')).toBe('feed_events_p20260302');
    expect(partitionDay('feed_events_p20260302')).toBe('2026-03-02');
    expect(partitionDay('feed_events_default')).toBeUndefined();
  });
});
