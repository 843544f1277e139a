import { FormBodyError, parseFormBody } from './form-body';

describe('parseFormBody', () => {
  afterEach(() => {
    // Belt and braces: nothing in these tests may leave a mark on Object.prototype.
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('nests bracket keys as ActiveCampaign sends them', () => {
    const body = parseFormBody(
      'type=subscribe&date_time=2013-01-01+12%3A00%3A00+-05%3A00&contact[email]=test%40example.com&contact[fields][perstag]=value&contact[tags]=a%2C+b',
    );
    expect(body).toEqual({
      type: 'subscribe',
      date_time: '2013-01-01 12:00:00 -05:00',
      contact: { email: 'test@example.com', fields: { perstag: 'value' }, tags: 'a, b' },
    });
  });

  it('reads arrays and repeated keys', () => {
    expect(parseFormBody('t[]=a&t[]=b&r=1&r=2&p[0][name]=x&p[1][name]=y')).toEqual({
      t: ['a', 'b'],
      r: ['1', '2'],
      p: [{ name: 'x' }, { name: 'y' }],
    });
  });

  it('returns plain objects', () => {
    const body = parseFormBody('a[b]=1');
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(body['a'])).toBe(Object.prototype);
  });

  it('drops prototype-polluting keys and pollutes nothing', () => {
    const body = parseFormBody('__proto__[polluted]=1&constructor[prototype][x]=1&a[__proto__][polluted]=1&a[constructor][prototype][x]=2&prototype=3&ok=1');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(Object.keys(body).sort()).toEqual(['a', 'ok']);
    expect(Object.getOwnPropertyNames(body['a'])).toEqual([]);
    expect(Object.getPrototypeOf(body['a'])).toBe(Object.prototype);
  });

  it('keeps keys that merely share a name with Object.prototype members', () => {
    expect(parseFormBody('toString=1&hasOwnProperty=2')).toEqual({ toString: '1', hasOwnProperty: '2' });
  });

  it('keeps deeper brackets than the depth limit as one literal key', () => {
    const body = parseFormBody('a[b][c][d][e][f][g]=1', { depth: 2 });
    expect(body).toEqual({ a: { b: { c: { '[d][e][f][g]': '1' } } } });
  });

  it('throws FormBodyError past the parameter and array limits', () => {
    const many = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
    expect(() => parseFormBody(many, { parameterLimit: 10 })).toThrow(FormBodyError);
    expect(parseFormBody(many, { parameterLimit: 11 })['k10']).toBe('v');
    const array = Array.from({ length: 6 }, () => 'a[]=1').join('&');
    expect(() => parseFormBody(array, { arrayLimit: 5 })).toThrow(FormBodyError);
  });

  it('keeps numeric bracket keys as object keys (ActiveCampaign custom-field ids), at any size', () => {
    const ids = ['1', '7', '100', '101', '4321', '123456'];
    const body = parseFormBody(ids.map((id) => `contact%5Bfields%5D%5B${id}%5D=v${id}`).join('&'));
    expect(body).toEqual({ contact: { fields: Object.fromEntries(ids.map((id) => [id, `v${id}`])) } });
    expect(parseFormBody('a[500]=1')).toEqual({ a: { '500': '1' } });
    // Sparse or not starting at 0: an object, never a compacted list that loses the ids.
    expect(parseFormBody('f[5]=a&f[2]=b')).toEqual({ f: { '5': 'a', '2': 'b' } });
    expect(parseFormBody('f[1]=a&f[2]=b')).toEqual({ f: { '1': 'a', '2': 'b' } });
    expect(parseFormBody('f[0]=a&f[name]=b')).toEqual({ f: { '0': 'a', name: 'b' } });
    expect(parseFormBody('f[00]=a&f[1]=b')).toEqual({ f: { '00': 'a', '1': 'b' } });
  });

  it('reads indexes exactly 0 … n-1 (any order) as a list, within the array limit', () => {
    expect(parseFormBody('p[1][name]=y&p[0][name]=x')).toEqual({ p: [{ name: 'x' }, { name: 'y' }] });
    const many = Array.from({ length: 6 }, (_, i) => `p[${i}]=${i}`).join('&');
    expect(parseFormBody(many, { arrayLimit: 6 })['p']).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(parseFormBody(many, { arrayLimit: 5 })['p']).toEqual({ '0': '0', '1': '1', '2': '2', '3': '3', '4': '4', '5': '5' });
  });

  it('keeps no marker in keys deeper than the depth limit', () => {
    expect(parseFormBody('a[1][2][3]=x', { depth: 1 })).toEqual({ a: { '1': { '[2][3]': 'x' } } });
  });

  it('reads an empty body as an empty object, and decodes + and percent escapes', () => {
    expect(parseFormBody('')).toEqual({});
    expect(parseFormBody('name=Jos%C3%A9+Garc%C3%ADa&empty=')).toEqual({ name: 'José García', empty: '' });
  });
});
