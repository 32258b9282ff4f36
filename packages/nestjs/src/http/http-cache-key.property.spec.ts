import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHost, primaryKey, type PrimaryKeyInput } from './http-cache-key.js';
import { queryKey } from './query-key.js';

// Small alphabets full of the characters a layout could split on, so that near-equal inputs (a
// field's tail moved into the next field, a separator inside a value) come up often.
const TRICKY = [
  'a',
  'A',
  '1',
  '2',
  '|',
  ':',
  '/',
  '%',
  '7',
  'C',
  'k',
  '"',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '\\',
  '=',
  '&',
  '?',
  '#',
  ';',
  'é',
  ' ',
];
const text = (maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...TRICKY), { maxLength }).map((chars) => chars.join(''));

const host = fc.oneof(
  fc.constant(undefined),
  fc
    .tuple(
      fc.constantFrom('a.test', 'A.test', 'b.test', 'a.test1', '[::1]', 'a|b', 'a.test/x'),
      fc.constantFrom('', ':', ':80', ':443', ':8080', ':1', ':0080', ':99999'),
    )
    .map(([name, port]) => name + port),
);

const path = fc.oneof(
  text(8).map((tail) => `/${tail}`),
  fc.constantFrom('/users/me', '/users/me|k:x', '/users/me%7Ck:x', '/p', '/p/', '/P'),
  fc.constant(`/${'x'.repeat(300)}`),
);

type Query = string | Query[] | { [name: string]: Query };
const queryValue: fc.Arbitrary<Query> = fc.letrec<{ value: Query }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text(4),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(text(3), tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).value;
const query = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(text(3), queryValue, { maxKeys: 3, noNullPrototype: true }),
);

const input: fc.Arbitrary<PrimaryKeyInput> = fc.record({
  scheme: fc.constantFrom('http' as const, 'https' as const),
  host,
  target: fc.tuple(path, fc.constantFrom('', '?', '?q=1')).map(([p, q]) => p + q),
  query,
  route: fc.oneof(fc.constantFrom('Users.me', 'Users.user', 'Users.me|'), text(4)),
  scope: fc.constantFrom('public', 'private', 'shared-default'),
  personal: fc.oneof(fc.constant(''), text(4)),
});

/** What the key must tell apart: the inputs as the handler sees them. */
const seen = (i: PrimaryKeyInput): unknown => ({
  scheme: i.scheme,
  host: parseHost(i.host, i.scheme),
  path: i.target.split('?')[0],
  query: i.query ?? {},
  route: i.route,
  scope: i.scope,
  personal: i.personal,
});

describe('primaryKey (property)', () => {
  it('gives two requests one key exactly when they see the same inputs', () => {
    fc.assert(
      fc.property(input, input, (a, b) => {
        const ka = primaryKey(a);
        const kb = primaryKey(b);
        if (!ka.ok || !kb.ok) return;
        expect(ka.key === kb.key).toBe(isDeepStrictEqual(seen(a), seen(b)));
      }),
      { numRuns: 3_000 },
    );
  });

  it('gives one key to spellings the handler cannot tell apart', () => {
    fc.assert(
      fc.property(input, (a) => {
        const members = Object.entries((a.query ?? {}) as Record<string, unknown>);
        const reordered = Object.fromEntries(members.reverse());
        const spelled: PrimaryKeyInput = {
          ...a,
          host: a.host?.toUpperCase().replace(a.scheme === 'http' ? /:80$/ : /:443$/, ''),
          target: `${a.target.split('?')[0] ?? ''}?other=spelling`,
          query: reordered,
        };
        const ka = primaryKey(a);
        const kb = primaryKey(spelled);
        if (ka.ok) expect(kb.ok && kb.key).toBe(ka.key);
      }),
      { numRuns: 1_000 },
    );
  });

  it('cannot be reached by moving text from one field into its neighbour', () => {
    fc.assert(
      fc.property(input, text(6), (a, moved) => {
        const shifted: PrimaryKeyInput[] = [
          { ...a, route: a.route + moved, scope: a.scope },
          { ...a, route: `${a.route}|${moved}` },
          { ...a, personal: `${a.personal}|${moved}` },
          { ...a, target: `${a.target.split('?')[0] ?? ''}|${moved}` },
        ];
        const ka = primaryKey(a);
        for (const b of shifted) {
          const kb = primaryKey(b);
          if (ka.ok && kb.ok && !isDeepStrictEqual(seen(a), seen(b))) expect(kb.key).not.toBe(ka.key);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('queryKey (property)', () => {
  it('is equal for two parsed queries exactly when they are deeply equal (object member order aside)', () => {
    fc.assert(
      fc.property(queryValue, queryValue, (a, b) => {
        expect(queryKey(a) === queryKey(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 3_000 },
    );
  });

  it('never contains a brace, so no query picks a Redis Cluster slot', () => {
    fc.assert(
      fc.property(queryValue, (a) => {
        expect(queryKey(a)).not.toMatch(/[{}]/);
      }),
    );
  });
});
