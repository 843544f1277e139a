import { Type } from 'class-transformer';
import { IsArray, IsDefined, IsNumber, IsString, ValidateNested } from 'class-validator';
import { reason, requiredReason, summariseValue } from './reasons';
import { validateDto } from './validators';

class ItemDto {
  @IsDefined() @IsString() name!: string;
  @IsNumber() price!: number;
}
class OrderDto {
  @IsDefined() @IsString() ref!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ItemDto) items!: ItemDto[];
  @IsDefined() @ValidateNested() @Type(() => ItemDto) main!: ItemDto;
}

describe('summariseValue', () => {
  it('quotes strings, masks emails, cuts to 60 characters', () => {
    expect(summariseValue('yesterday')).toBe('"yesterday"');
    expect(summariseValue('sarah@example.com')).toBe('"s***@example.com"');
    const long = summariseValue('x'.repeat(200));
    expect(long).toHaveLength(60);
    expect(long?.endsWith('…')).toBe(true);
  });
  it('summarises other values without dumping them', () => {
    expect(summariseValue(12)).toBe('12');
    expect(summariseValue(null)).toBe('null');
    expect(summariseValue(false)).toBe('false');
    expect(summariseValue([1, 2, 3])).toBe('array(3)');
    expect(summariseValue({ a: 1, b: 2 })).toBe('object(2 keys)');
    expect(summariseValue(undefined)).toBeUndefined();
  });
});

describe('reason / requiredReason', () => {
  it('omits value when there is none', () => {
    expect(reason('a', 'r', 'm')).toEqual({ path: 'a', rule: 'r', message: 'm' });
    expect(reason('a', 'r', 'm', 'v')).toEqual({ path: 'a', rule: 'r', message: 'm', value: '"v"' });
    expect(requiredReason('x')).toEqual({ path: 'x', rule: 'required', message: 'x is required' });
  });
});

describe('validationErrorsToReasons (through validateDto)', () => {
  it('reports missing fields as required, nested array and object paths, and all failures', () => {
    const { reasons } = validateDto(OrderDto, { items: [{ name: 'a', price: 1 }, { price: 'x' }], main: { name: 5, price: 2 } });
    expect(reasons).toEqual([
      { path: 'ref', rule: 'required', message: 'ref is required' },
      { path: 'items[1].name', rule: 'required', message: 'items[1].name is required' },
      {
        path: 'items[1].price',
        rule: 'isNumber',
        message: 'items[1].price must be a number conforming to the specified constraints',
        value: '"x"',
      },
      { path: 'main.name', rule: 'isString', message: 'main.name must be a string', value: '5' },
    ]);
  });

  it('reports a nested value of the wrong kind', () => {
    const { reasons } = validateDto(OrderDto, { ref: 'r', items: [], main: 'nope' });
    expect(reasons.map((r) => `${r.path}:${r.rule}`)).toEqual(['main:isObject']);
  });
});
