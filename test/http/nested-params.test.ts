import { describe, expect, it } from 'vitest'
import { parseNestedPairs, toQuery } from '../../src/http/nested-params'

const parse = (query: string) => parseNestedPairs(new URLSearchParams(query).entries())

describe('Rack nested params', () => {
  it.each([
    ['a=1', { a: '1' }],
    ['a=1&a=2', { a: '2' }],                                     // last one wins
    ['scope[]=pending&scope[]=running', { scope: ['pending', 'running'] }],
    ['scope%5B%5D=failed', { scope: ['failed'] }],
    ['scope[x]=pending&scope[y]=failed', { scope: { x: 'pending', y: 'failed' } }],
    ['a[b][c]=1&a[b][d]=2', { a: { b: { c: '1', d: '2' } } }],
    ['v[0][key]=K&v[0][value]=V&v[1][key]=L', { v: { 0: { key: 'K', value: 'V' }, 1: { key: 'L' } } }],
    ['v[][key]=K&v[][value]=V&v[][key]=L&v[][value]=W', { v: [{ key: 'K', value: 'V' }, { key: 'L', value: 'W' }] }],
    ['a[b][]=1&a[b][]=2', { a: { b: ['1', '2'] } }],
    ['empty=', { empty: '' }],
    ['a[=1', { 'a[': '1' }],                                     // not a nested key
    ['[x]=1', { '[x]': '1' }],
    ['scope=pending&scope[]=running', { scope: ['running'] }],   // the later, nested form wins
  ])('%s', (query, expected) => {
    expect(parse(query)).toEqual(expected)
  })

  it('drops a key that mixes array and hash forms instead of failing', () => {
    expect(() => parse('a[]=1&a[][x]=2&a[]=3')).not.toThrow()
  })
})

describe('Rails to_query', () => {
  it.each([
    [{ b: '2', a: '1' }, 'a=1&b=2'],
    [{ scope: ['pending', 'running'], page: 2 }, 'page=2&scope%5B%5D=pending&scope%5B%5D=running'],
    [{ a: { y: '2', x: '1' } }, 'a%5Bx%5D=1&a%5By%5D=2'],
    [{ v: [{ key: 'K', value: 'V' }] }, 'v%5B%5D%5Bkey%5D=K&v%5B%5D%5Bvalue%5D=V'],
    [{ q: 'a b+c/d' }, 'q=a+b%2Bc%2Fd'],
    [{ q: "it's (ok)*!~" }, 'q=it%27s+%28ok%29%2A%21~'],
    [{ none: null, gone: undefined, x: '1' }, 'none=&x=1'],
    [{ empty: [], blank: {}, x: '1' }, 'x=1'],
    [{ 'a-b': '1', a: '2' }, 'a-b=1&a=2'],                      // Rails sorts the encoded pairs
  ])('%j → %s', (params, expected) => {
    expect(toQuery(params)).toBe(expected)
  })

  it('round-trips what Rack parses', () => {
    const query = 'page=2&per_page=20&scope%5B%5D=pending&scope%5B%5D=running&v%5Bx%5D=1'
    expect(toQuery(parse(query))).toBe(query)
  })
})
