import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { StrataConfigError, type CacheStack, type StrategyCache } from '@strata/core';
import { KeyBuilder } from '@strata/core/internal';
import { cacheNameOfToken, getCacheToken } from '../strategies/inject-cache.decorator.js';
import {
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
  CACHEABLE_METADATA,
} from '../decorators/cache-metadata.constants.js';
import { DecoratorMisuseError } from '../errors/decorator-misuse.error.js';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import {
  wrapCacheMethod,
  type CacheMethodMetadata,
  type NamedCacheResolver,
  type ResultMode,
} from './cache-method.wrapper.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Finds provider methods decorated with `@Cacheable`, `@CachePut` or `@CacheEvict` and replaces
 * them, on each instance (never on the shared prototype, so two apps in one process stay apart),
 * with a wrapper bound to this module's `CacheStack`. Misuse fails at boot:
 * - on a controller method (routes are bound before module init, so a wrapper would never run);
 * - on a request- or transient-scoped provider (its instances are created after init);
 * - on a method declared to return something other than a Promise or an Observable;
 * - `@Cacheable` together with `@CachePut`.
 */
@Injectable()
export class CacheMethodExplorer implements OnModuleInit {
  private readonly wrapped = new WeakSet<object>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack,
    private readonly moduleRef: ModuleRef,
  ) {}

  // Named caches live in feature modules; all providers exist by the time onModuleInit runs.
  private readonly namedCache: NamedCacheResolver = (name, target) => {
    try {
      return this.moduleRef.get<StrategyCache<unknown>>(getCacheToken(name), { strict: false });
    } catch {
      throw new DecoratorMisuseError(
        target,
        `no named cache "${name}": declare it in StrataModule.forFeature({ caches })`,
      );
    }
  };

  onModuleInit(): void {
    this.rejectDuplicateCacheNames();
    for (const controller of this.discovery.getControllers()) this.rejectControllers(controller);
    for (const provider of this.discovery.getProviders()) this.wrapProvider(provider);
  }

  // Two forFeature calls declaring one name would each get a provider; which one @InjectCache
  // sees would depend on module imports. Only the whole app can see that, so it is checked here.
  private rejectDuplicateCacheNames(): void {
    const names = new Set<string>();
    for (const wrapper of this.discovery.getProviders()) {
      const name = cacheNameOfToken(wrapper.token);
      if (name === undefined) continue;
      if (names.has(name)) {
        throw new StrataConfigError(
          'StrataModule.forFeature caches[].name',
          name,
          'declared by two forFeature calls',
        );
      }
      names.add(name);
    }
  }

  private rejectControllers(wrapper: InstanceWrapper): void {
    const prototype = prototypeOf(wrapper);
    if (!prototype) return;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      if (readMetadata(prototype, name)) {
        throw new DecoratorMisuseError(
          `${wrapper.name}.${name}`,
          'caching decorators work on provider methods, not on controllers (routes are bound before Strata can wrap them). ' +
            'Move the cached logic into a service, or cache the HTTP response with HttpCacheInterceptor.',
        );
      }
    }
  }

  private wrapProvider(wrapper: InstanceWrapper): void {
    const prototype = prototypeOf(wrapper);
    if (!prototype) return;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const metadata = readMetadata(prototype, name);
      if (!metadata) continue;
      const className = (prototype.constructor as { name?: string }).name || String(wrapper.name);
      const target = `${className}.${name}`;
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
        throw new DecoratorMisuseError(
          target,
          'caching decorators are not supported on request- or transient-scoped providers (their instances are created after Strata wraps methods). ' +
            'Put the cached method on a singleton provider.',
        );
      }
      if (metadata.cacheable && metadata.put) {
        throw new DecoratorMisuseError(target, '@Cacheable and @CachePut cannot decorate the same method.');
      }
      for (const namespace of [
        metadata.cacheable?.namespace,
        metadata.put?.namespace,
        metadata.evict?.namespace,
      ]) {
        if (namespace !== undefined) KeyBuilder.assertNamespace(namespace);
      }
      const instance = wrapper.instance as Record<string, unknown>;
      if (this.wrapped.has(instance) && instance[name] !== prototype[name]) continue;
      const original = prototype[name] as Method;
      const wrappedMethod = wrapCacheMethod({
        stack: this.stack,
        original,
        target,
        className,
        metadata,
        mode: resultMode(prototype, name, target),
        namedCache: this.namedCache,
      });
      copyMetadata(original, wrappedMethod);
      instance[name] = wrappedMethod;
      this.wrapped.add(instance);
    }
  }
}

function prototypeOf(wrapper: InstanceWrapper): Record<string, unknown> | undefined {
  const instance: unknown = wrapper.instance;
  if (instance === null || typeof instance !== 'object') return undefined;
  const prototype: unknown = Object.getPrototypeOf(instance);
  return prototype === null || prototype === Object.prototype
    ? undefined
    : (prototype as Record<string, unknown>);
}

function readMetadata(prototype: Record<string, unknown>, name: string): CacheMethodMetadata | undefined {
  const method = prototype[name];
  if (typeof method !== 'function') return undefined;
  const cacheable: unknown = Reflect.getMetadata(CACHEABLE_METADATA, method);
  const put: unknown = Reflect.getMetadata(CACHE_PUT_METADATA, method);
  const evict: unknown = Reflect.getMetadata(CACHE_EVICT_METADATA, method);
  if (cacheable === undefined && put === undefined && evict === undefined) return undefined;
  return { cacheable, put, evict } as CacheMethodMetadata;
}

// `design:returntype` is emitted by TypeScript and SWC with decorator metadata on. It is
// `Object` or absent when the type was erased (a type-only Observable import, no annotation,
// plain JS): the wrapper then returns an Observable that is also awaitable. Only a Promise or an
// Observable can wait for the cache, so any other declared type is a boot error.
function resultMode(prototype: object, name: string, target: string): ResultMode {
  const declared: unknown = Reflect.getMetadata('design:returntype', prototype, name);
  if (declared === Promise) return 'promise';
  if (declared === undefined || declared === Object) return 'either';
  if (
    typeof declared === 'function' &&
    typeof (declared.prototype as { subscribe?: unknown })?.subscribe === 'function'
  ) {
    return 'observable';
  }
  throw new DecoratorMisuseError(
    target,
    `a cached method must return a Promise or an Observable, but it is declared to return ${typeof declared === 'function' ? declared.name : typeof declared}. Make it async.`,
  );
}

function copyMetadata(from: object, to: object): void {
  for (const key of Reflect.getMetadataKeys(from) as unknown[]) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, from), to);
  }
}
