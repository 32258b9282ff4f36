import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, CachePut, CacheService } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, type Backend } from './support/app.js';
import { deferred, waitFor, type Deferred } from './support/deferred.js';

interface User {
  id: string;
  name: string;
  version: number;
}

/** A tiny "database" the services read and write, so tests can tell cached data from fresh. */
@Injectable()
class UserStore {
  readonly rows = new Map<string, User>();
  reads = 0;

  read(id: string): User | null {
    this.reads++;
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }
}

@Injectable()
class UserService {
  /** When set, `find` waits for it after reading the store (a slow query). */
  slowRead: Deferred<void> | undefined;
  /** When set, writes throw it. */
  failure: Error | undefined;

  constructor(private readonly store: UserStore) {}

  @Cacheable({ key: (id: string) => `user:${id}`, tags: (id: string) => [`user:${id}`, 'users'] })
  async find(id: string): Promise<User | null> {
    const row = this.store.read(id);
    if (this.slowRead) await this.slowRead.promise;
    return row;
  }

  @Cacheable({ key: (id: string) => `user:${id}`, namespace: 'archive' })
  async findArchived(id: string): Promise<User | null> {
    const row = this.store.read(id);
    if (this.slowRead) await this.slowRead.promise;
    return row;
  }

  @Cacheable({ key: 'user-list', tags: ['user-list'] })
  async list(): Promise<string[]> {
    this.store.reads++;
    return [...this.store.rows.values()].map((user) => user.name);
  }

  /** The documented combination: refresh one entry, drop the lists. */
  @CachePut({ key: (id: string) => `user:${id}`, tags: (id: string) => [`user:${id}`] })
  @CacheEvict({ tags: ['user-list'] })
  async renameAndRefreshLists(id: string, name: string): Promise<User> {
    return this.rename(id, name);
  }

  @CachePut<[id: string, name: string | null], User | null | undefined>({
    key: (id) => `user:${id}`,
    condition: (_id, name) => name !== 'secret',
    unless: (result) => result?.name === 'draft',
  })
  async save(id: string, name: string | null): Promise<User | null | undefined> {
    if (name === null) return null;
    if (name === 'nothing') return undefined;
    return { id, name, version: 99 };
  }

  @CachePut({ key: (id: string) => `user:${id}`, tags: (id: string) => [`user:${id}`, 'users'] })
  async rename(id: string, name: string): Promise<User> {
    if (this.failure) throw this.failure;
    const current = this.store.rows.get(id);
    const next = { id, name, version: (current?.version ?? 0) + 1 };
    this.store.rows.set(id, next);
    return { ...next };
  }

  /** Writes the store without touching the cache (a change made elsewhere). */
  writeBehindTheCache(id: string, name: string): void {
    const current = this.store.rows.get(id);
    this.store.rows.set(id, { id, name, version: (current?.version ?? 0) + 1 });
  }

  @CacheEvict({ keys: (id: string) => [`user:${id}`] })
  async remove(id: string): Promise<void> {
    if (this.failure) throw this.failure;
    this.store.rows.delete(id);
  }

  @CacheEvict({ tags: ['users'] })
  async importUsers(): Promise<void> {
    if (this.failure) throw this.failure;
  }

  @CacheEvict({ tags: (id: string) => [`user:${id}`] })
  async touch(id: string): Promise<void> {
    void id;
    if (this.failure) throw this.failure;
  }

  @CacheEvict({ allEntries: true, namespace: 'archive' })
  async purgeArchive(): Promise<void> {
    if (this.failure) throw this.failure;
  }

  @CacheEvict({ keys: (id: string) => `user:${id}`, namespace: 'archive' })
  async unarchive(id: string): Promise<void> {
    void id;
  }

  /** A synchronous handler (an event listener, say) whose result nobody looks at. */
  @CacheEvict({ tags: (id: string) => [`user:${id}`] })
  onUserChanged(id: string): void {
    this.changed.push(id);
  }

  readonly changed: string[] = [];

  @CacheEvict({ keys: (id: string) => `user:${id}`, beforeInvocation: true })
  async removeEagerly(id: string): Promise<void> {
    if (this.failure) throw this.failure;
    this.store.rows.delete(id);
  }
}

async function usersApp(
  backend: Backend,
): Promise<{ users: UserService; store: UserStore; cache: CacheService }> {
  const moduleRef = await createApp(backend.options(), [UserService, UserStore]);
  const store = moduleRef.get(UserStore);
  store.rows.set('1', { id: '1', name: 'ada', version: 1 });
  store.rows.set('2', { id: '2', name: 'bob', version: 1 });
  return { users: moduleRef.get(UserService), store, cache: moduleRef.get(CacheService) };
}

const gates: Deferred<void>[] = [];

/**
 * Registers the `@CachePut` / `@CacheEvict` tests once per backend, with the clean-up after each test. The spec
 * file starts the servers the backends need.
 */
export function describePutEvict(backends: readonly Backend[]): void {
  afterEach(async () => {
    // A failed test must not leave a call hanging: close() waits for loads in flight.
    for (const gate of gates.splice(0)) gate.resolve();
    await closeApps();
  });
  describe.each(backends)('@CachePut and @CacheEvict on $name', putEvictTests);
}

function putEvictTests(backend: Backend): void {
  it('@CachePut stores the result, and @Cacheable with the same key returns it without running', async () => {
    const { users, store } = await usersApp(backend);

    const renamed = await users.rename('3', 'cy');
    expect(renamed).toEqual({ id: '3', name: 'cy', version: 1 });
    expect(await users.find('3')).toEqual({ id: '3', name: 'cy', version: 1 });
    expect(store.reads).toBe(0);

    // A put also replaces what @Cacheable cached before.
    expect(await users.find('1')).toEqual({ id: '1', name: 'ada', version: 1 });
    await users.rename('1', 'ada lovelace');
    expect(await users.find('1')).toEqual({ id: '1', name: 'ada lovelace', version: 2 });
    expect(store.reads).toBe(1);
  });

  it('@CachePut always runs the method and stores nothing when it throws', async () => {
    const { users, store } = await usersApp(backend);

    expect(await users.find('1')).toMatchObject({ name: 'ada' });
    users.failure = new Error('write failed');
    await expect(users.rename('1', 'eve')).rejects.toThrow('write failed');
    expect(await users.find('1')).toMatchObject({ name: 'ada', version: 1 });
    expect(store.reads).toBe(1);
  });

  it('@CacheEvict with keys removes the entry', async () => {
    const { users, store } = await usersApp(backend);

    expect(await users.find('1')).toMatchObject({ name: 'ada' });
    expect(await users.find('2')).toMatchObject({ name: 'bob' });
    users.writeBehindTheCache('2', 'bobby');
    await users.remove('1');

    expect(await users.find('1')).toBeNull();
    // Only the evicted key was dropped.
    expect(await users.find('2')).toMatchObject({ name: 'bob' });
    expect(store.reads).toBe(3);
  });

  it('@CacheEvict with tags invalidates every entry carrying them', async () => {
    const { users, store } = await usersApp(backend);

    await users.find('1');
    await users.find('2');
    users.writeBehindTheCache('1', 'ada2');
    users.writeBehindTheCache('2', 'bob2');

    await users.touch('1');
    expect(await users.find('1')).toMatchObject({ name: 'ada2' });
    expect(await users.find('2')).toMatchObject({ name: 'bob' });
    expect(store.reads).toBe(3);

    await users.importUsers();
    expect(await users.find('1')).toMatchObject({ name: 'ada2' });
    expect(await users.find('2')).toMatchObject({ name: 'bob2' });
    expect(store.reads).toBe(5);
  });

  it('@CacheEvict with keys and a namespace removes the key in that namespace only', async () => {
    const { users, store } = await usersApp(backend);
    await users.find('1');
    await users.findArchived('1');
    users.writeBehindTheCache('1', 'ada2');

    await users.unarchive('1');

    expect(await users.findArchived('1')).toMatchObject({ name: 'ada2' });
    expect(await users.find('1')).toMatchObject({ name: 'ada' });
    expect(store.reads).toBe(3);
  });

  it('@CacheEvict with allEntries drops its namespace and only that one', async () => {
    const { users, store } = await usersApp(backend);

    expect(await users.find('1')).toMatchObject({ name: 'ada' });
    expect(await users.findArchived('1')).toMatchObject({ name: 'ada' });
    expect(await users.findArchived('2')).toMatchObject({ name: 'bob' });
    users.writeBehindTheCache('1', 'ada2');
    users.writeBehindTheCache('2', 'bob2');

    await users.purgeArchive();

    expect(await users.findArchived('1')).toMatchObject({ name: 'ada2' });
    expect(await users.findArchived('2')).toMatchObject({ name: 'bob2' });
    // The same key in the default namespace is untouched.
    expect(await users.find('1')).toMatchObject({ name: 'ada' });
    expect(store.reads).toBe(5);
  });

  it.each([
    ['keys', (users: UserService) => users.remove('1')],
    ['tags', (users: UserService) => users.touch('1')],
    ['allEntries', (users: UserService) => users.purgeArchive()],
  ] as const)('@CacheEvict (%s) keeps the entry when the method throws', async (_kind, evict) => {
    const { users, store } = await usersApp(backend);

    await users.find('1');
    await users.findArchived('1');
    users.writeBehindTheCache('1', 'ada2');
    users.failure = new Error('delete failed');

    await expect(evict(users)).rejects.toThrow('delete failed');

    expect(await users.find('1')).toMatchObject({ name: 'ada', version: 1 });
    expect(await users.findArchived('1')).toMatchObject({ name: 'ada', version: 1 });
    expect(store.reads).toBe(2);
  });

  it('@CacheEvict on a method declared `(): void` runs and evicts when the caller ignores the result', async () => {
    const { users, store } = await usersApp(backend);
    await users.find('1');
    users.writeBehindTheCache('1', 'ada2');

    users.onUserChanged('1');
    await waitFor(() => users.changed.length === 1, 1_000, 'the method to run');

    // The eviction follows the method; poll, since nobody could wait for it.
    await expect
      .poll(async () => (await users.find('1'))?.name, { timeout: 1_000, interval: 20 })
      .toBe('ada2');
    expect(users.changed).toEqual(['1']);
    expect(store.reads).toBeGreaterThanOrEqual(2);
  });

  it('@CacheEvict with beforeInvocation evicts even when the method throws', async () => {
    const { users, store } = await usersApp(backend);

    await users.find('1');
    users.writeBehindTheCache('1', 'ada2');
    users.failure = new Error('delete failed');

    await expect(users.removeEagerly('1')).rejects.toThrow('delete failed');

    expect(await users.find('1')).toMatchObject({ name: 'ada2', version: 2 });
    expect(store.reads).toBe(2);
  });

  it.each([
    ['keys', (users: UserService) => users.remove('1')],
    ['tags', (users: UserService) => users.touch('1')],
    ['keys, before invocation', (users: UserService) => users.removeEagerly('1')],
  ] as const)(
    'does not let a slow @Cacheable call store its old value after @CacheEvict (%s)',
    async (_kind, evict) => {
      const { users, store } = await usersApp(backend);
      users.slowRead = deferred();
      gates.push(users.slowRead);

      // The slow call reads the old row, then waits.
      const slow = users.find('1');
      await waitFor(() => store.reads === 1, 2_000, 'the slow call to read the store');

      // Meanwhile the row changes and the eviction completes.
      users.writeBehindTheCache('1', 'ada2');
      await evict(users);

      users.slowRead.resolve();
      expect(await slow).toMatchObject({ name: 'ada', version: 1 });
      users.slowRead = undefined;

      // The old value was not stored: the next call runs the method again.
      const removed = store.rows.get('1') === undefined;
      expect(await users.find('1')).toEqual(removed ? null : { id: '1', name: 'ada2', version: 2 });
      expect(store.reads).toBe(2);
      expect(await users.find('1')).toEqual(removed ? null : { id: '1', name: 'ada2', version: 2 });
      expect(store.reads).toBe(2);
    },
  );

  it('@CacheEvict with allEntries keeps a slow call in that namespace from storing its old value', async () => {
    const { users, store } = await usersApp(backend);
    users.slowRead = deferred();
    gates.push(users.slowRead);

    const slow = users.findArchived('1');
    await waitFor(() => store.reads === 1, 2_000, 'the slow call to read the store');
    users.writeBehindTheCache('1', 'ada2');
    await users.purgeArchive();
    users.slowRead.resolve();
    expect(await slow).toMatchObject({ name: 'ada', version: 1 });
    users.slowRead = undefined;

    expect(await users.findArchived('1')).toMatchObject({ name: 'ada2', version: 2 });
    expect(store.reads).toBe(2);
  });

  it('@CachePut wins over a slow @Cacheable load of the same key still in flight', async () => {
    const { users, store } = await usersApp(backend);
    users.slowRead = deferred();
    gates.push(users.slowRead);

    const slow = users.find('1');
    await waitFor(() => store.reads === 1, 2_000, 'the slow call to read the store');
    await users.rename('1', 'ada2');
    users.slowRead.resolve();
    expect(await slow).toMatchObject({ name: 'ada', version: 1 });
    users.slowRead = undefined;

    expect(await users.find('1')).toEqual({ id: '1', name: 'ada2', version: 2 });
    expect(store.reads).toBe(1);
  });

  it('@CachePut with @CacheEvict on one method refreshes the entry and drops the lists', async () => {
    const { users, store } = await usersApp(backend);
    expect(await users.list()).toEqual(['ada', 'bob']);
    expect(await users.find('2')).toMatchObject({ name: 'bob' });
    expect(store.reads).toBe(2);

    await users.renameAndRefreshLists('2', 'robert');

    expect(await users.find('2')).toEqual({ id: '2', name: 'robert', version: 2 });
    expect(store.reads).toBe(2);
    expect(await users.list()).toEqual(['ada', 'robert']);
    expect(store.reads).toBe(3);
  });

  it('@CachePut stores null, and skips undefined, a false condition and a true unless', async () => {
    const { users, store } = await usersApp(backend);
    await users.find('1');
    expect(store.reads).toBe(1);

    for (const name of ['secret', 'draft', 'nothing']) {
      await users.save('1', name);
      expect(await users.find('1')).toMatchObject({ name: 'ada', version: 1 });
    }
    expect(store.reads).toBe(1);

    expect(await users.save('1', 'grace')).toEqual({ id: '1', name: 'grace', version: 99 });
    expect(await users.find('1')).toEqual({ id: '1', name: 'grace', version: 99 });

    expect(await users.save('1', null)).toBeNull();
    expect(await users.find('1')).toBeNull();
    expect(store.reads).toBe(1);
  });
}
