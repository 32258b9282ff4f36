import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { isObservable, lastValueFrom, of, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from './support/app.js';

abstract class Repository {
  calls = 0;

  @Cacheable()
  async find(id: string): Promise<string> {
    this.calls++;
    return `${this.constructor.name}:${id}`;
  }
}

@Injectable()
class BookRepository extends Repository {}

@Injectable()
class AuthorRepository extends Repository {}

const BOOKS_ALIAS = Symbol('BOOKS_ALIAS');
const FACTORY_BOOKS = Symbol('FACTORY_BOOKS');

@Injectable()
class Untyped {
  calls = 0;

  // No return annotations: an async method is still declared to return a Promise; for the
  // other one the declared type is unknown to the wrapper.
  @Cacheable({ key: 'untyped-async' })
  async load() {
    return ++this.calls;
  }

  @Cacheable({ key: 'untyped-observable' })
  stream() {
    return of(++this.calls);
  }

  @Cacheable({ key: 'untyped-throws', condition: () => false })
  explode() {
    throw new Error('boom');
  }
}

@Injectable()
class LibraryService {
  constructor(
    readonly books: BookRepository,
    @Inject(BOOKS_ALIAS) readonly alias: BookRepository,
  ) {}
}

@Module({
  providers: [BookRepository, { provide: BOOKS_ALIAS, useExisting: BookRepository }],
  exports: [BookRepository, BOOKS_ALIAS],
})
class BooksModule {}

@Module({ imports: [BooksModule], providers: [LibraryService], exports: [LibraryService] })
class LibraryModule {}

/** Fails instead of hanging when a call never settles (a method wrapped twice deadlocks). */
async function within<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

afterEach(closeApps);

describe('which instances get wrapped', () => {
  it('wraps inherited decorated methods, keyed by the concrete class', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix() }, [BookRepository, AuthorRepository]);
    const books = moduleRef.get(BookRepository);
    const authors = moduleRef.get(AuthorRepository);

    expect(await books.find('1')).toBe('BookRepository:1');
    expect(await authors.find('1')).toBe('AuthorRepository:1');
    expect(await books.find('1')).toBe('BookRepository:1');
    expect(await authors.find('1')).toBe('AuthorRepository:1');
    expect(books.calls).toBe(1);
    expect(authors.calls).toBe(1);
  });

  it('wraps an instance reached through an alias and another module once', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix() }, [], { imports: [LibraryModule] });
    const library = moduleRef.get(LibraryService);
    expect(library.alias).toBe(library.books);

    expect(await within(library.books.find('1'))).toBe('BookRepository:1');
    expect(await within(library.alias.find('1'))).toBe('BookRepository:1');
    expect(library.books.calls).toBe(1);
  });

  it('wraps an instance made by a factory provider', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix() }, [
      { provide: FACTORY_BOOKS, useFactory: () => new BookRepository() },
    ]);
    const books = moduleRef.get<BookRepository>(FACTORY_BOOKS);

    expect(await books.find('1')).toBe('BookRepository:1');
    expect(await books.find('1')).toBe('BookRepository:1');
    expect(books.calls).toBe(1);
  });

  it('does not wrap an instance created with new outside Nest', async () => {
    await createApp({ prefix: uniquePrefix() }, [BookRepository]);
    const books = new BookRepository();

    await books.find('1');
    await books.find('1');
    expect(books.calls).toBe(2);
    expect(Object.hasOwn(books, 'find')).toBe(false);
  });

  it('handles methods without a return type annotation', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix() }, [Untyped]);
    const untyped = moduleRef.get(Untyped);

    const promise = untyped.load();
    expect(promise).toBeInstanceOf(Promise);
    expect(await promise).toBe(1);
    expect(await untyped.load()).toBe(1);

    const observable = untyped.stream();
    expect(isObservable(observable)).toBe(true);
    expect(await observable).toBe(2);
    expect(await untyped.stream()).toBe(2);
    expect(untyped.calls).toBe(2);

    // A synchronous throw comes back as a rejection and as an error notification, not a throw.
    let exploded: unknown;
    expect(() => (exploded = untyped.explode())).not.toThrow();
    await expect(exploded).rejects.toThrow('boom');
    await expect(lastValueFrom(untyped.explode() as unknown as Observable<unknown>)).rejects.toThrow('boom');
  });
});
