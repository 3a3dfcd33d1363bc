import { describe, expect, it } from 'vitest';
import { endpointMatches, parseEndpointPattern, type EndpointPattern } from '../../src/check/endpoint-pattern.js';
import { parseDuration } from '../../src/check/duration.js';
import { countHolds, parseCountText } from '../../src/check/count-spec.js';
import { didYouMean } from '../../src/check/did-you-mean.js';
import { globToRegExp } from '../../src/check/glob.js';

function pat(s: string): EndpointPattern {
  const p = parseEndpointPattern(s);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('endpoint patterns', () => {
  it.each([
    ['198.18.0.1:5000', '198.18.0.1:5000', true],
    ['198.18.0.1:5000', '198.18.0.1:5001', false],
    ['*:5000', '10.0.0.1:5000', true],
    [':5000', '10.0.0.1:5000', true],
    ['198.18.0.1:*', '198.18.0.1:41234', true],
    ['198.18.0.1:*', '198.18.0.2:41234', false],
    ['172.17.0.0/16:80', '172.17.3.9:80', true],
    ['172.17.0.0/16:80', '172.18.0.1:80', false],
    ['172.17.0.0/16', '172.17.0.2:5000', true],
    ['[::1]:5000', '[::1]:5000', true],
    ['[0:0::1]:5000', '[::1]:5000', true],
    ['[fd00::/64]:*', '[fd00::abcd]:443', true],
    ['[fd00::/64]:*', '[fd01::abcd]:443', false],
    ['::1', '[::1]:80', true],
    ['[*]:80', '[2001:db8::1]:80', true],
    ['*:8000-8100', '1.2.3.4:8080', true],
    ['*:8000-8100', '1.2.3.4:8101', false],
    ['10.0.0.0/8:*', '[::ffff:10.0.0.1]:80', false],
    ['*', '[::1]:1', true],
  ])('%s vs %s → %s', (p, e, want) => {
    expect(endpointMatches(pat(p), e)).toBe(want);
  });

  it.each(['300.0.0.1:80', '1.2.3.4:70000', '[::1', '[::1]x', 'host:80', '1.2.3.4/33:80', '1.2.3.4:90-80'])('rejects %s', (s) => {
    expect(typeof parseEndpointPattern(s)).toBe('string');
  });
});

describe('durations, counts, globs, suggestions', () => {
  it('parses durations to seconds', () => {
    expect(parseDuration('5ms')).toBeCloseTo(0.005, 12);
    expect(parseDuration('200us')).toBeCloseTo(0.0002, 12);
    expect(parseDuration('200µs')).toBeCloseTo(0.0002, 12);
    expect(parseDuration('1.5s')).toBeCloseTo(1.5, 12);
    expect(typeof parseDuration('5')).toBe('string');
    expect(typeof parseDuration('5 min')).toBe('string');
  });

  it('counts', () => {
    const ge = parseCountText('>= 2');
    const lt = parseCountText('< 3');
    const none = parseCountText('none');
    if (typeof ge === 'string' || typeof lt === 'string' || typeof none === 'string') throw new Error('parse');
    expect([countHolds(ge, 1), countHolds(ge, 2), countHolds(ge, 99)]).toEqual([false, true, true]);
    expect([countHolds(lt, 2), countHolds(lt, 3)]).toEqual([true, false]);
    expect([countHolds(none, 0), countHolds(none, 1)]).toEqual([true, false]);
    expect(typeof parseCountText('< 0')).toBe('string');
  });

  it('globs: * crosses slashes in paths, DNS case-insensitive', () => {
    expect(globToRegExp('/api/*').test('/api/v1/users?x=1')).toBe(true);
    expect(globToRegExp('/api/*').test('/apix')).toBe(false);
    expect(globToRegExp('*.example.com', true).test('WWW.Example.COM')).toBe(true);
    expect(globToRegExp('a.c').test('abc')).toBe(false);
  });

  it('suggests near misses only', () => {
    expect(didYouMean('mecahnism', ['mechanism', 'reaches'])).toBe('mechanism');
    expect(didYouMean('clientIPPreserved', ['clientIpPreserved'])).toBe('clientIpPreserved');
    expect(didYouMean('banana', ['reaches', 'via', 'count'])).toBeNull();
  });
});
