import { plainToInstance, Type } from 'class-transformer';
import {
  Equals, IsArray, IsDefined, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, registerDecorator, validateSync, ValidateIf, ValidateNested,
} from 'class-validator';
import fc from 'fast-check';
import { DeliveryRequestDto, DeliveryResultDto } from './delivery/delivery.dto';
import { dtoCheck } from './dto-check';
import { CanonicalEventDto } from './events/canonical-event.dto';
import { RejectedEventDto } from './events/raw-event.dto';

/** What dtoCheck must agree with: validateSync as the fast paths' fallback calls it. */
function validateSyncAccepts(instance: object): boolean {
  return validateSync(instance, { forbidUnknownValues: false }).length === 0;
}

class TagDto {
  @IsString() @MaxLength(5) name!: string;
  @IsOptional() @IsInt() @Min(0) weight?: number;
}

class BaseDto {
  @IsDefined() @IsIn(['a', 'b']) kind!: string;
}

/** Every kind of decorator the checker models, on one class. */
class KitchenSinkDto extends BaseDto {
  @IsOptional() @IsString() @MaxLength(3) short?: string | null;
  @IsDefined() @IsOptional() @IsInt() definedButOptional?: number | null;
  @ValidateIf((o: KitchenSinkDto) => o.kind === 'b') @IsInt() @Max(9) onlyForB?: number;
  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(2, { each: true }) letters?: unknown;
  @IsOptional() @ValidateNested() @Type(() => TagDto) tag?: TagDto | null;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => TagDto) tags?: TagDto[];
  @IsOptional() @Equals(7) seven?: number;
  @IsDefined() present!: unknown;
}

const anyValue = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer({ min: -20, max: 20 }), fc.double(), fc.string({ maxLength: 7 }),
  fc.constantFrom('a', 'b', 'c', 'ab', 'abcdef', '2026-12-05T00:00:00Z', '2026-12-05', 'dlv_1a', 'msg_x', 'evt_9', 'subscription'),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('name', 'weight', 'x'), fc.oneof(fc.string({ maxLength: 7 }), fc.integer({ min: -2, max: 3 })), { maxKeys: 3 }),
);

/** Plain objects over `keys`: each key absent or any value, so valid and invalid mixes are both common. */
function plainOver(keys: readonly string[]) {
  return fc.record(Object.fromEntries(keys.map((k) => [k, anyValue])), { requiredKeys: [] });
}

/** Starts from a valid plain value and replaces up to three members with anything. */
function mutationsOf(valid: Record<string, unknown>) {
  const keys = Object.keys(valid);
  return fc.array(fc.tuple(fc.constantFrom(...keys), anyValue), { maxLength: 3 }).map((changes) => {
    const out: Record<string, unknown> = structuredClone(valid);
    for (const [k, v] of changes) out[k] = v;
    return out;
  });
}

function agreesWithValidateSync(cls: new () => object, plain: Record<string, unknown>): boolean {
  const instance = plainToInstance(cls, plain, { enableImplicitConversion: false });
  return dtoCheck(cls)(instance) === validateSyncAccepts(instance);
}

const VALID_REQUEST = {
  id: 'dlv_abc', webhookId: 'msg_abc', accountId: 'acc_1', endpointId: 'ep_1', eventId: 'evt_1', eventType: 'purchase',
  eventTime: '2026-12-05T00:00:00.000Z', data: { a: 1 }, cause: 'subscription', causeId: null, createdAt: '2026-12-05T00:00:01.000Z',
};
const VALID_EVENT = {
  id: 'evt_1', accountId: 'acc_1', sourceId: 'src_1', type: 'purchase', occurredAt: '2026-12-05T00:00:00Z', receivedAt: '2026-12-05T00:00:01Z',
  initiatedFrom: 'public', person: { email: 'a@b.co', firstName: 'A', lastName: null, ip: null, nameSource: 'payload' },
  location: { city: null, state: null, stateCode: null, country: null, countryCode: 'US', source: null },
  product: null, products: [{ id: 'p', name: 'n', link: null, image: null, price: 1, quantity: 2 }], amount: 1, currency: 'USD',
  attributes: {}, dialect: 'activly',
};

describe('dtoCheck: exactly what validateSync accepts', () => {
  it('accepts the valid samples and rejects a missing required member', () => {
    expect(dtoCheck(DeliveryRequestDto)(plainToInstance(DeliveryRequestDto, VALID_REQUEST))).toBe(true);
    expect(dtoCheck(CanonicalEventDto)(plainToInstance(CanonicalEventDto, VALID_EVENT))).toBe(true);
    const { data: _data, ...noData } = VALID_REQUEST;
    expect(dtoCheck(DeliveryRequestDto)(plainToInstance(DeliveryRequestDto, noData))).toBe(false);
  });

  it('a class with every modelled decorator (inherited IsDefined, IsOptional, ValidateIf, each, nested object and array)', () => {
    const keys = ['kind', 'present', 'short', 'definedButOptional', 'onlyForB', 'letters', 'tag', 'tags', 'seven'];
    fc.assert(fc.property(plainOver(keys), (plain) => agreesWithValidateSync(KitchenSinkDto, plain)), { numRuns: 2000 });
    const valid = { kind: 'b', present: 0, short: 'ab', definedButOptional: 2, onlyForB: 3, letters: ['a', 'bc'], tag: { name: 'x', weight: 1 }, tags: [{ name: 'y' }], seven: 7 };
    expect(validateSyncAccepts(plainToInstance(KitchenSinkDto, valid))).toBe(true);
    fc.assert(fc.property(mutationsOf(valid), (plain) => agreesWithValidateSync(KitchenSinkDto, plain)), { numRuns: 3000 });
  });

  it('nested members given as primitives, arrays of primitives, sets and maps', () => {
    const cases: unknown[] = ['x', 3, [1], ['x'], [null], [undefined], new Set([{ name: 'ok' }]), new Map([['k', { name: 'toolong' }]]), new Set(['ab', 'abc'])];
    for (const v of cases) {
      const viaTags = Object.assign(new KitchenSinkDto(), { kind: 'a', present: 0, definedButOptional: 1, tags: v, tag: undefined });
      const viaTag = Object.assign(new KitchenSinkDto(), { kind: 'a', present: 0, definedButOptional: 1, tag: v });
      const viaLetters = Object.assign(new KitchenSinkDto(), { kind: 'a', present: 0, definedButOptional: 1, letters: v });
      for (const o of [viaTags, viaTag, viaLetters]) expect([v, dtoCheck(KitchenSinkDto)(o)]).toEqual([v, validateSyncAccepts(o)]);
    }
  });

  it('DeliveryRequestDto, DeliveryResultDto and RejectedEventDto over generated payloads', () => {
    fc.assert(fc.property(mutationsOf(VALID_REQUEST), (plain) => agreesWithValidateSync(DeliveryRequestDto, plain)), { numRuns: 2000 });
    const resultKeys = ['deliveryId', 'webhookId', 'accountId', 'endpointId', 'eventId', 'eventType', 'attempt', 'outcome', 'httpStatus'];
    fc.assert(fc.property(plainOver(resultKeys), (plain) => agreesWithValidateSync(DeliveryResultDto, plain)), { numRuns: 1000 });
    fc.assert(fc.property(plainOver(['id', 'sourceId', 'accountId', 'reasons', 'raw']), (plain) => agreesWithValidateSync(RejectedEventDto, plain)), { numRuns: 1000 });
  });

  it('CanonicalEventDto (nested person, location, product, products) over generated payloads', () => {
    const nestedMutations = fc.tuple(mutationsOf(VALID_EVENT), mutationsOf(VALID_EVENT.person), mutationsOf(VALID_EVENT.products[0])).map(([e, person, product]) => ({
      ...e, person: e['person'] === VALID_EVENT.person ? person : e['person'], products: Array.isArray(e['products']) ? [product, ...e['products']] : e['products'],
    }));
    fc.assert(fc.property(nestedMutations, (plain) => agreesWithValidateSync(CanonicalEventDto, plain)), { numRuns: 2000 });
  });

  it('an instance of another class, or an async constraint, is not a yes (validateSync decides)', () => {
    expect(dtoCheck(DeliveryRequestDto)({ ...VALID_REQUEST } as unknown as DeliveryRequestDto)).toBe(false);
    class AsyncDto {
      value = 1;
    }
    registerDecorator({ name: 'slowCheck', target: AsyncDto, propertyName: 'value', validator: { validate: async () => true }, async: true });
    expect(dtoCheck(AsyncDto)(new AsyncDto())).toBe(false);
  });
});
