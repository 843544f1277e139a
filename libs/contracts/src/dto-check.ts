import { getMetadataStorage, ValidationTypes, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/**
 * A DTO's class-validator rules as one standalone predicate: `check(instance)` is true exactly when
 * `validateSync(instance, { forbidUnknownValues: false })` would report nothing. It runs the same
 * constraint objects the decorators registered, with the same arguments, in the same order of
 * decisions (conditions such as IsOptional first, IsDefined regardless of them, `each`, nested DTOs
 * by the runtime class of the value), but reads the metadata once per class instead of on every call
 * and builds no ValidationError objects. That made validation of a valid payload a fifth of
 * validateSync's cost (bench/README), which matters on the per-event path.
 *
 * Use it as a fast path only: on `false`, call validateSync to word the problems. A constraint that
 * answers with a promise (an async validator) makes the check say false, so validateSync decides.
 * Groups, `always`, whitelisting and the skip-missing options are not modelled: call validateSync
 * itself when you need them.
 */
export function dtoCheck<T extends object>(cls: abstract new (...args: never[]) => T): (instance: T) => boolean {
  return (instance) => instance instanceof cls && objectValid(instance);
}

type Condition = (object: object, value: unknown) => boolean;

interface ConstraintCheck {
  validator: ValidatorConstraintInterface;
  each: boolean;
  args: ValidationArguments;
}

interface PropertyPlan {
  name: string;
  conditions: Condition[];
  /** IsDefined: checked whatever the other decorators say, once the conditions hold. */
  defined: ConstraintCheck[];
  custom: ConstraintCheck[];
  nested: boolean;
}

const plans = new WeakMap<object, PropertyPlan[]>();

function planOf(ctor: abstract new (...args: never[]) => object): PropertyPlan[] {
  let plan = plans.get(ctor);
  if (plan === undefined) {
    plan = compile(ctor);
    plans.set(ctor, plan);
  }
  return plan;
}

function compile(ctor: abstract new (...args: never[]) => object): PropertyPlan[] {
  const storage = getMetadataStorage();
  // The same lookup validateSync makes for an instance of `ctor` without groups or `always`.
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(ctor as new () => object, undefined as unknown as string, false, false));
  return Object.entries(grouped).map(([name, metas]) => {
    const checks = (type: string) =>
      metas
        .filter((m) => m.type === type)
        .flatMap((m) => storage.getTargetValidatorConstraints(m.constraintCls).map((c) => constraintCheck(ctor, m, c.instance)));
    return {
      name,
      conditions: metas.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.constraints[0] as Condition),
      defined: checks(ValidationTypes.IS_DEFINED),
      custom: checks(ValidationTypes.CUSTOM_VALIDATION),
      nested: metas.some((m) => m.type === ValidationTypes.NESTED_VALIDATION || m.type === ValidationTypes.PROMISE_VALIDATION),
    };
  });
}

function constraintCheck(ctor: { name: string }, m: ValidationMetadata, validator: ValidatorConstraintInterface): ConstraintCheck {
  // One arguments object per constraint, refilled on each call: validators run synchronously and keep nothing.
  return { validator, each: m.each === true, args: { targetName: ctor.name, property: m.propertyName, object: {}, value: undefined, constraints: m.constraints } };
}

function objectValid(object: object): boolean {
  for (const p of planOf(object.constructor as new () => object)) {
    const value = (object as Record<string, unknown>)[p.name];
    let applies = true;
    for (const condition of p.conditions) if (!condition(object, value)) applies = false;
    if (!applies) continue;
    for (const c of p.defined) if (!constraintHolds(c, object, value)) return false;
    for (const c of p.custom) if (!constraintHolds(c, object, value)) return false;
    if (p.nested && !nestedValid(value)) return false;
  }
  return true;
}

function constraintHolds(c: ConstraintCheck, object: object, value: unknown): boolean {
  c.args.object = object;
  c.args.value = value;
  if (!c.each || !(Array.isArray(value) || value instanceof Set || value instanceof Map)) return settled(c.validator.validate(value, c.args));
  for (const item of value instanceof Map ? value.values() : value) if (!settled(c.validator.validate(item, c.args))) return false;
  return true;
}

/** A truthy answer is a yes, as for validateSync, except a promise (an async validator): validateSync decides. */
function settled(result: unknown): boolean {
  if (typeof result === 'boolean') return result;
  const thenable = typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function';
  return !thenable && Boolean(result);
}

/** ValidateNested: arrays, sets and maps item by item; an object by its own class's rules; anything else fails. */
function nestedValid(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
    for (const item of value instanceof Map ? value.values() : value) if (!nestedValid(item)) return false;
    return true;
  }
  return value instanceof Object && objectValid(value);
}
