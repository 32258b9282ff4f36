import { Test } from '@nestjs/testing';
import { StrataConfigError } from '@strata/core';
import { HttpCacheModule, type HttpCacheModuleOptions, StrataModule } from '@strata/nestjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { HTTP_ADAPTERS } from '../support/http-app.js';
import { useRedisServer } from '../support/redis.js';
import { stackShapes, useCookieApp } from './cookie-apps.support.js';
import type { CookiePage } from './cookie-pages.controller.js';
import { type JsonResponse, rawGet } from './raw-http.js';

const redis = useRedisServer();

type Lines = readonly (readonly [string, string])[];
interface Shape {
  readonly name: string;
  readonly lines: Lines;
}
const cookie = (name: string, value: string): Shape => ({ name, lines: [['Cookie', value]] });

// Cookie names an attacker or an app might use, none of them public (fixed seed: reproducible).
const randomNames = fc
  .sample(fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/), { numRuns: 6, seed: 7 })
  .filter((name) => !['_ga', '_gid', '_fbp', 'CookieConsent'].includes(name));

/** Requests whose page may be personal: they must never get, nor leave, a shared page. */
const PERSONAL: readonly Shape[] = [
  cookie('jwt', 'jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig'),
  cookie('access_token', 'access_token=at-alice'),
  cookie('sid', 'sid=s1'),
  cookie('connect.sid', 'connect.sid=s%3Aabc.def'),
  ...randomNames.map((name) => cookie(`random name ${name}`, `${name}=v`)),
  cookie('public then private', '_ga=GA1.2.3.4; jwt=alice'),
  cookie('private then public', 'jwt=alice; _ga=GA1.2.3.4'),
  cookie('a public name in another case', '_GA=GA1.2.3.4'),
  cookie('a public name in lower case', 'cookieconsent=yes'),
  {
    name: 'two Cookie lines, the second private',
    lines: [
      ['Cookie', '_ga=1'],
      ['Cookie', 'jwt=alice'],
    ],
  },
  { name: 'a Cookie line with its name in odd case', lines: [['cOOKIE', 'jwt=alice']] },
  cookie('an empty value', 'jwt='),
  cookie('a piece without "="', '_ga=1; alice'),
  cookie('an empty name', '=alice'),
  cookie('a comma before a private cookie', '_ga=1, jwt=alice'),
  cookie('a tab before a private cookie', '_ga=1;\tjwt=alice'),
  cookie('a quoted value hiding a private cookie', '_ga="1;jwt=alice"'),
  cookie('a huge header ending in a private cookie', `_ga=${'x'.repeat(8_000)}; jwt=alice`),
  cookie('many public cookies then a private one', `${'_ga=1; '.repeat(300)}session=alice`),
  { name: 'an empty Authorization', lines: [['Authorization', '']] },
  {
    name: 'Authorization and a public cookie',
    lines: [
      ['Authorization', 'Bearer alice'],
      ['Cookie', '_ga=1'],
    ],
  },
];

/** Requests that carry nothing personal: they share the anonymous page. */
const SHAREABLE: readonly Shape[] = [
  { name: 'no Cookie', lines: [] },
  cookie('an empty Cookie header', ''),
  cookie('"Cookie: ;"', ';'),
  cookie('only public cookies', '_ga=GA1.2.3.4; _gid=GA1.2.5.6; _fbp=fb.1.2.3'),
  {
    name: 'public cookies on two lines',
    lines: [
      ['Cookie', '_ga=1'],
      ['Cookie', '_gid=2'],
    ],
  },
  cookie('a public cookie with an empty value', '_ga='),
  cookie('a consent cookie', 'CookieConsent={stamp:%27abc%27%2Cnecessary:true}'),
  cookie('a huge public cookie', `_ga=${'x'.repeat(8_000)}`),
];

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

describe.each(HTTP_ADAPTERS)('cookies on cached routes, %s', (adapter) => {
  describe.each(stackShapes(redis))('with $name', (shape) => {
    const app = useCookieApp(adapter, shape.options);
    const get = (path: string, lines: Lines = []): Promise<JsonResponse<CookiePage>> =>
      rawGet<CookiePage>(app(), path, lines);

    describe.each(['shared', 'default'])('on a %s route', (route) => {
      it.each(PERSONAL)('a request with $name neither gets nor leaves a shared page', async ({ lines }) => {
        // Anonymous page first: the personal request must not be given it.
        const id = nextId();
        const anonymous = await get(`/adv/${route}/${id}`);
        const personal = await get(`/adv/${route}/${id}`, lines);
        const again = await get(`/adv/${route}/${id}`);
        expect(anonymous.headers['x-cache']).toBe('MISS');
        expect(personal.status).toBe(200);
        expect(personal.headers['x-cache']).toBeUndefined();
        expect(personal.body.n).toBe(2);
        expect(again.headers['x-cache']).toBe('HIT');
        expect(again.body.n).toBe(1);
        // Personal request first: its page must not be stored for the next caller.
        const other = nextId();
        const first = await get(`/adv/${route}/${other}`, lines);
        const next = await get(`/adv/${route}/${other}`);
        expect(first.headers['x-cache']).toBeUndefined();
        expect(next.headers['x-cache']).toBe('MISS');
        expect(next.body).toMatchObject({ n: 2, cookie: null, auth: null });
      });

      it.each(SHAREABLE)('a request with $name shares the page', async ({ lines }) => {
        const id = nextId();
        const anonymous = await get(`/adv/${route}/${id}`);
        const carrying = await get(`/adv/${route}/${id}`, lines);
        expect(anonymous.headers['x-cache']).toBe('MISS');
        expect(carrying.headers['x-cache']).toBe('HIT');
        expect(carrying.body.n).toBe(1);
        const other = nextId();
        expect((await get(`/adv/${route}/${other}`, lines)).headers['x-cache']).toBe('MISS');
        expect((await get(`/adv/${route}/${other}`)).headers['x-cache']).toBe('HIT');
      });
    });

    it('shares a public route whatever the request carries', async () => {
      const id = nextId();
      const first = await get(`/adv/public/${id}`, [['Cookie', 'jwt=alice']]);
      const bob = await get(`/adv/public/${id}`, [
        ['Cookie', 'jwt=bob'],
        ['Authorization', 'Bearer bob'],
      ]);
      expect(first.headers['x-cache']).toBe('MISS');
      expect(bob.headers['x-cache']).toBe('HIT');
      expect(bob.body).toEqual(first.body);
    });

    it('keys a private route by varyBy alone: cookies neither bypass it nor split it', async () => {
      const id = nextId();
      const alice = await get(`/adv/private/${id}`, [
        ['X-User', 'alice'],
        ['Cookie', 'jwt=alice-1'],
      ]);
      const aliceAgain = await get(`/adv/private/${id}`, [
        ['X-User', 'alice'],
        ['Cookie', 'jwt=alice-2'],
      ]);
      const bob = await get(`/adv/private/${id}`, [
        ['X-User', 'bob'],
        ['Cookie', 'jwt=alice-1'],
      ]);
      expect(alice.headers['x-cache']).toBe('MISS');
      expect(aliceAgain.headers['x-cache']).toBe('HIT');
      expect(aliceAgain.body.n).toBe(1);
      expect(bob.headers['x-cache']).toBe('MISS');
      expect(bob.body.n).toBe(2);
    });
  });
});

describe('the removed sessionCookieNames option', () => {
  const compile = (http: ReturnType<typeof HttpCacheModule.forRoot>) =>
    Test.createTestingModule({ imports: [StrataModule.forRoot({ prefix: uniquePrefix() }), http] }).compile();
  // Typed as a stale config an upgrading app could still pass (forRootAsync factories are not checked).
  const stale = { sessionCookieNames: ['sid'] } as HttpCacheModuleOptions;

  it('fails the boot naming it and pointing to publicCookies', async () => {
    await expect(compile(HttpCacheModule.forRoot(stale))).rejects.toThrow(StrataConfigError);
    await expect(compile(HttpCacheModule.forRoot(stale))).rejects.toThrow(
      /"sessionCookieNames".*removed.*publicCookies/,
    );
  });

  it('fails the boot through forRootAsync too', async () => {
    const module = HttpCacheModule.forRootAsync({ useFactory: () => stale });
    await expect(compile(module)).rejects.toThrow(/sessionCookieNames/);
  });
});
