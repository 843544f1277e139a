import { errorMessage } from './error-message';

describe('errorMessage', () => {
  it('is an Error’s message', () => {
    expect(errorMessage(new TypeError('bad input'))).toBe('bad input');
  });

  it('is the Error’s name when its message is empty (never an empty reason)', () => {
    expect(errorMessage(new RangeError())).toBe('RangeError');
  });

  it('is the message of an error-like object that is not an Error', () => {
    expect(errorMessage({ message: 'socket hang up', code: 'ECONNRESET' })).toBe('socket hang up');
  });

  it('is the value as a string otherwise', () => {
    expect([errorMessage('plain'), errorMessage(42), errorMessage(null), errorMessage(undefined)]).toEqual(['plain', '42', 'null', 'undefined']);
  });
});
