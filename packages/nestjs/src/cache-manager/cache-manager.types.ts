import type { EventEmitter } from 'node:events';

/** Options of `wrap` in cache-manager 7's form; lifetimes in milliseconds. */
export interface CacheManagerWrapOptions<T> {
  /** Time to live of the loaded value, or a function of it. */
  ttl?: number | ((value: T) => number);
  /** Reload in the background when a hit has less than this left to live. */
  refreshThreshold?: number | ((value: T) => number);
}

/** `wrap` options asking for the stored record instead of the value. */
export type CacheManagerWrapOptionsRaw<T> = CacheManagerWrapOptions<T> & { raw: true };

/** A value with its expiry time (epoch milliseconds; `undefined`: none known). */
export interface CacheManagerRawEntry<T> {
  value?: T;
  expires?: number | undefined;
}

/** One item of `mset`. */
export interface CacheManagerListItem<T> {
  key: string;
  value: T;
  ttl?: number;
}

/** Events of cache-manager 7, with their payloads. */
export type CacheManagerEvents = {
  get: <T>(data: { key: string; value?: T; error?: unknown }) => void;
  mget: <T>(data: { keys: string[]; value?: T[]; error?: unknown }) => void;
  set: <T>(data: { key: string; value: T; error?: unknown }) => void;
  mset: <T>(data: { list: CacheManagerListItem<T>[]; error?: unknown }) => void;
  del: (data: { key: string; error?: unknown }) => void;
  clear: (error?: unknown) => void;
  refresh: <T>(data: { key: string; value: T; error?: unknown }) => void;
};

/** Registers or removes a listener; returns the emitter, as cache-manager does. */
export type CacheManagerListen = <E extends keyof CacheManagerEvents>(
  event: E,
  listener: CacheManagerEvents[E],
) => EventEmitter;
