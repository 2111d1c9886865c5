import { describe, expect, it } from 'vitest';
import { DomainConflictError, hostKey, Routes } from '../src/index.js';

const up = { host: '10.0.0.2', port: 80 };

describe('the route table', () => {
  it('keys hosts case-insensitively, without port or trailing dot', () => {
    expect(hostKey('Example.COM:8080')).toBe('example.com');
    expect(hostKey('example.com.')).toBe('example.com');
    expect(hostKey('[::1]:80')).toBe('[::1]');
    expect(hostKey(undefined)).toBeUndefined();
    const r = new Routes();
    r.setRoutes('app', [{ domain: 'App.Example.com', upstreams: [up], https: false }]);
    expect(r.lookup('APP.example.com:80')?.owner).toBe('app');
    expect(r.lookup('other.example.com')).toBeUndefined();
  });

  it("refuses another owner's domain, naming the owner that has it, and changes nothing", () => {
    const r = new Routes();
    r.setRoutes('blog', [{ domain: 'blog.example.com', upstreams: [up], https: false }]);
    r.setRoutes('shop', [{ domain: 'shop.example.com', upstreams: [up], https: false }]);
    let err: unknown;
    try {
      r.setRoutes('shop', [
        { domain: 'shop2.example.com', upstreams: [up], https: false },
        { domain: 'BLOG.example.com', upstreams: [up], https: false },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainConflictError);
    expect((err as Error).message).toContain('blog');
    expect((err as DomainConflictError).holder).toBe('blog');
    // atomic: shop keeps exactly what it had
    expect(r.lookup('shop.example.com')?.owner).toBe('shop');
    expect(r.lookup('shop2.example.com')).toBeUndefined();
  });

  it('replaces an owner’s routes whole and frees its domains on delete', () => {
    const r = new Routes();
    r.setRoutes('a', [
      { domain: 'one.test', upstreams: [up], https: false },
      { domain: 'two.test', upstreams: [up], https: true },
    ]);
    r.setRoutes('a', [{ domain: 'two.test', upstreams: [up, { host: '10.0.0.3', port: 80 }], https: true }]);
    expect(r.lookup('one.test')).toBeUndefined();
    expect(r.lookup('two.test')?.upstreams).toHaveLength(2);
    r.deleteRoutes('a');
    expect(r.list()).toEqual([]);
    r.setRoutes('b', [{ domain: 'two.test', upstreams: [up], https: false }]);
    expect(r.lookup('two.test')?.owner).toBe('b');
  });

  it('validates domains and upstreams at the edge', () => {
    const r = new Routes();
    for (const domain of ['', 'a b.test', 'evil.test\r\nx: y', '-a.test', 'a..test', `${'a'.repeat(64)}.test`])
      expect(() => r.setRoutes('a', [{ domain, upstreams: [up], https: false }])).toThrow();
    expect(() => r.setRoutes('a', [{ domain: 'ok.test', upstreams: [{ host: '10.0.0.2', port: 0 }], https: false }])).toThrow();
    expect(() => r.setRoutes('a', [{ domain: 'ok.test', upstreams: [{ host: 'a/b', port: 80 }], https: false }])).toThrow();
    expect(() =>
      r.setRoutes('a', [
        { domain: 'ok.test', upstreams: [up], https: false },
        { domain: 'OK.test', upstreams: [up], https: false },
      ]),
    ).toThrow(/twice/);
    expect(r.list()).toEqual([]);
  });
});
