import { describe, expect, it } from '@jest/globals';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('dispatches named events and ignores comments (pings)', () => {
    const p = new SseParser();
    const got = p.push(': ping\n\nevent: event\ndata: {"id":"evt_1"}\n\n');
    expect(got).toEqual([{ event: 'event', data: '{"id":"evt_1"}', id: null }]);
  });

  it('reassembles an event split across chunks at any byte', () => {
    const text = 'event: event\ndata: {"a":1}\n\nevent: event\ndata: {"a":2}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(got.map((m) => m.data)).toEqual(['{"a":1}', '{"a":2}']);
    }
  });

  it('accepts CRLF and CR line endings, including a CRLF split between chunks', () => {
    const p = new SseParser();
    const got = [...p.push('data: one\r'), ...p.push('\n\r\n'), ...p.push('data: two\r\r\n')];
    expect(got.map((m) => m.data)).toEqual(['one', 'two']);
  });

  it('joins multi-line data, defaults the type to "message", keeps the last id and drops events without data', () => {
    const p = new SseParser();
    const got = p.push('id: 7\ndata: a\ndata:b\n\nevent: lonely\n\n');
    expect(got).toEqual([{ event: 'message', data: 'a\nb', id: '7' }]);
  });

  it('holds back an incomplete event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: event\ndata: x\n')).toEqual([]);
    expect(p.push('\n')).toHaveLength(1);
  });
});
