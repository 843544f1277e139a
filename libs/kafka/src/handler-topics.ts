import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';

/** Every controller of a module and of the modules it imports (classes and dynamic modules). */
function controllersOf(mod: unknown, seen: Set<unknown>): Type[] {
  if (mod === null || mod === undefined || seen.has(mod)) return [];
  seen.add(mod);
  if (typeof mod === 'function') {
    const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, mod) as Type[] | undefined) ?? [];
    const imports = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, mod) as unknown[] | undefined) ?? [];
    return [...controllers, ...imports.flatMap((i) => controllersOf(i, seen))];
  }
  if (typeof mod !== 'object' || !('module' in mod)) return [];
  const d = mod as DynamicModule;
  return [...(d.controllers ?? []), ...(d.imports ?? []).flatMap((i) => controllersOf(i, seen)), ...controllersOf(d.module, seen)];
}

/**
 * The topics an app module's controllers handle (their `@EventPattern` metadata, through the modules
 * it imports), sorted: what the transport subscribes the app's group to. The apps' specs hold it
 * against their published topic contracts (`topicsConsumedBy`), so the AsyncAPI document can neither
 * name a group that no longer reads a topic nor miss one that does.
 */
export function handlerTopics(module: Type | DynamicModule): string[] {
  const topics = controllersOf(module, new Set()).flatMap((c) => {
    const proto = c.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((name) => {
      const member: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value;
      return typeof member === 'function' ? ((Reflect.getMetadata(PATTERN_METADATA, member) as unknown[] | undefined) ?? []) : [];
    });
  });
  return [...new Set(topics.filter((p): p is string => typeof p === 'string'))].sort();
}
