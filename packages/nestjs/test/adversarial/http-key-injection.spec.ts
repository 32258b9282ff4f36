import { createHash } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { CacheService, httpPathTag } from '@strata/nestjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ADAPTERS } from '../support/http-app.js';
import { sendRawTarget } from '../support/raw-target.js';
import { useRedisServer } from '../support/redis.js';
import { attackBackends, startAttackApp } from './key-attack.controller.js';

const redis = useRedisServer();

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}${++seq}`;

/** Every unsalted digest a per-user key part could have been made of, for a guessing attacker. */
const guessedDigests = (user: string): string[] =>
  [JSON.stringify(['', user]), user].map((text) => createHash('sha256').update(text).digest('base64url'));

/** Targets an attacker sends to the public `users/:id` route hoping to land on the private page's key. */
const forgedTargets = (user: string): string[] =>
  guessedDigests(user).flatMap((digest) => [
    `/atk/users/me|k:${digest}`,
    `/atk/users/me%7Ck:${digest}`,
    `/atk/users/me%7ck:${digest}`,
    `/atk/users/me|k:${digest}|v:x`,
    `/atk/users/me?|k:${digest}`,
  ]);

describe.each(HTTP_ADAPTERS)('HTTP cache key injection on %s', (adapter) => {
  describe.each(attackBackends(redis))('with $name', (backend) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startAttackApp(adapter, backend);
    });
    afterAll(async () => {
      await app.close();
    });

    it("never serves a user's private page to a request through the public route", async () => {
      const user = `alice-${nextId()}`;
      await sendRawTarget(app, '/atk/users/me', { 'X-User': user });
      const cached = await sendRawTarget(app, '/atk/users/me', { 'X-User': user });
      expect(cached.headers['x-cache']).toBe('HIT');
      for (const target of forgedTargets(user)) {
        const stolen = await sendRawTarget(app, target);
        expect(stolen.body, target).not.toContain(`the secret of ${user}`);
        expect(stolen.headers['x-cache'], target).not.toBe('HIT');
      }
    });

    it("never lets a request through the public route plant a page under a user's key", async () => {
      const user = `bob-${nextId()}`;
      for (const target of forgedTargets(user)) await sendRawTarget(app, target);
      const own = await sendRawTarget(app, '/atk/users/me', { 'X-User': user });
      expect(own.status).toBe(200);
      expect(JSON.parse(own.body)).toEqual({ user, secret: `the secret of ${user}` });
      expect(own.headers['x-cache']).toBe('MISS');
    });

    it('keeps repeated parameters spelled differently apart: each caller gets its own order', async () => {
      const t = nextId();
      const first = await sendRawTarget(app, `/atk/echo?t=${t}&q=evil&%71=good`);
      expect(JSON.parse(first.body)).toMatchObject({ query: { q: ['evil', 'good'] } });
      const second = await sendRawTarget(app, `/atk/echo?t=${t}&%71=good&q=evil`);
      expect(JSON.parse(second.body)).toMatchObject({ query: { q: ['good', 'evil'] } });
      // The same spelling still hits, and so does the same parsed query spelled another way.
      expect((await sendRawTarget(app, `/atk/echo?q=evil&%71=good&t=${t}`)).headers['x-cache']).toBe('HIT');
      expect((await sendRawTarget(app, `/atk/echo?t=${t}&q=evil&q=good`)).headers['x-cache']).toBe('HIT');
    });

    it('keys the port of Host: a page built for x:443 on plain HTTP is not served to x', async () => {
      const host = `h${nextId()}.test`;
      const odd = await sendRawTarget(app, '/atk/links', { Host: `${host}:443` });
      expect(JSON.parse(odd.body)).toEqual({ self: `http://${host}:443/atk/links` });
      for (const plain of [host, `${host}:80`, host.toUpperCase()]) {
        const res = await sendRawTarget(app, '/atk/links', { Host: plain });
        expect(JSON.parse(res.body).self, plain).not.toContain(':443');
      }
      expect((await sendRawTarget(app, '/atk/links', { Host: `${host}:443` })).headers['x-cache']).toBe(
        'HIT',
      );
      for (const other of [`${host}:8080`, `${host}:0443`, `${host}:65536`]) {
        const res = await sendRawTarget(app, '/atk/links', { Host: other });
        if (res.status === 200)
          expect(JSON.parse(res.body).self, other).not.toBe(`http://${host}:443/atk/links`);
      }
    });

    it('does not store what follows a # under the path before it', async () => {
      const t = nextId();
      await sendRawTarget(app, `/atk/echo/${t}#q=evil`);
      await sendRawTarget(app, `/atk/echo/${t}?z=1#&q=evil`);
      await sendRawTarget(app, `/atk/echo/${t}%23q=evil`);
      const clean = await sendRawTarget(app, `/atk/echo/${t}`);
      expect(JSON.parse(clean.body)).toMatchObject({ params: { id: t }, query: {} });
      const withZ = await sendRawTarget(app, `/atk/echo/${t}?z=1`);
      expect(JSON.parse(withZ.body)).toMatchObject({ query: { z: '1' } });
      expect(withZ.headers['x-cache']).toBe('MISS');
    });

    it('drops a cached page on a write to another spelling of its path', async () => {
      const id = `u${nextId()}`;
      const spelled = `/atk/users/${id.replace(/u/, '%75')}`;
      await sendRawTarget(app, `/atk/users/${id}`);
      expect((await sendRawTarget(app, `/atk/users/${id}`)).headers['x-cache']).toBe('HIT');
      expect((await sendRawTarget(app, spelled, {}, 'POST')).status).toBe(204);
      expect((await sendRawTarget(app, `/atk/users/${id}`)).headers['x-cache']).toBe('MISS');
    });

    it('drops a cached page through httpPathTag of its URL', async () => {
      const id = `u${nextId()}`;
      await sendRawTarget(app, `/atk/users/${id}?tab=1`);
      expect((await sendRawTarget(app, `/atk/users/${id}?tab=1`)).headers['x-cache']).toBe('HIT');
      await app.get(CacheService).invalidateTags([httpPathTag(`http://Strata.test/atk/users/${id}`)]);
      expect((await sendRawTarget(app, `/atk/users/${id}?tab=1`)).headers['x-cache']).toBe('MISS');
    });

    it('neither stores nor serves a request in absolute form, whatever its host', async () => {
      const t = nextId();
      for (const target of [`http://evil.test/atk/echo?t=${t}`, `http://strata.test/atk/echo?t=${t}`]) {
        const res = await sendRawTarget(app, target);
        expect(res.headers['x-cache'], target).toBeUndefined();
      }
      expect((await sendRawTarget(app, `/atk/echo?t=${t}`)).headers['x-cache']).toBe('MISS');
    });

    it('does not let a parameter folded into the path by ; or an encoded ? reach a clean page', async () => {
      const t = nextId();
      for (const poison of [
        `/atk/echo;q=evil?t=${t}`,
        `/atk/echo%3Fq=evil?t=${t}`,
        `/atk/echo?t=${t}&q=evil`,
      ]) {
        await sendRawTarget(app, poison);
      }
      const clean = await sendRawTarget(app, `/atk/echo?t=${t}`);
      expect(JSON.parse(clean.body)).toMatchObject({ query: { t } });
      expect(JSON.stringify(JSON.parse(clean.body))).not.toContain('evil');
    });
  });
});
