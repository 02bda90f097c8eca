import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/http/errors'
import {
  decodeCursor, encodeCursor, keysetHeaders, offsetHeaders, pageUrl, parseKeysetPage, parseOffsetPage,
} from '../../src/http/pagination'
import { linksOf } from '../link-header'

const EXTERNAL = 'https://gitlab.example.com'
const REQUEST = 'http://127.0.0.1:8787/api/v4/projects/12/members/all'

function errorOf(fn: () => unknown): ApiError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('expected an ApiError')
}

function links(headers: Headers): Record<string, string> {
  return linksOf(headers)
}

describe('offset page params (Kaminari rules)', () => {
  it.each([
    [{}, { page: 1, perPage: 20, offset: 0 }],
    [{ page: '3', per_page: '50' }, { page: 3, perPage: 50, offset: 100 }],
    [{ page: 2, per_page: 5 }, { page: 2, perPage: 5, offset: 5 }],            // JSON numbers
    [{ per_page: '100' }, { page: 1, perPage: 100, offset: 0 }],
    [{ per_page: '101' }, { page: 1, perPage: 100, offset: 0 }],               // max_per_page clamp
    [{ per_page: '100000' }, { page: 1, perPage: 100, offset: 0 }],
    [{ per_page: '-5' }, { page: 1, perPage: 20, offset: 0 }],                 // negative is ignored
    [{ page: '0' }, { page: 1, perPage: 20, offset: 0 }],                      // page < 1 is page 1
    [{ page: '-7', per_page: '10' }, { page: 1, perPage: 10, offset: 0 }],
    [{ page: ' 2 ' }, { page: 2, perPage: 20, offset: 20 }],
  ])('%j → %j', (raw, expected) => {
    expect(parseOffsetPage(raw)).toEqual(expected)
  })

  it.each([
    [{ per_page: '0' }, 'per_page has a value not allowed'],
    [{ per_page: 0 }, 'per_page has a value not allowed'],
    [{ page: 'abc' }, 'page is invalid'],
    [{ page: '1.5' }, 'page is invalid'],
    [{ per_page: 'ten' }, 'per_page is invalid'],
    [{ per_page: ['1'] }, 'per_page is invalid'],
    [{ page: 'x', per_page: 'y' }, 'page is invalid, per_page is invalid'],
  ])('%j → 400 %s', (raw, message) => {
    const error = errorOf(() => parseOffsetPage(raw))
    expect(error.status).toBe(400)
    expect(error.body).toEqual({ error: message })
  })
})

describe('offset pagination headers', () => {
  it('with counts: X-Total, X-Total-Pages and a last link', () => {
    const headers = offsetHeaders(`${REQUEST}?page=2&per_page=20`, EXTERNAL, { page: 2, perPage: 20, offset: 20 }, { hasNext: true, total: 45 })
    expect(headers.get('X-Page')).toBe('2')
    expect(headers.get('X-Per-Page')).toBe('20')
    expect(headers.get('X-Next-Page')).toBe('3')
    expect(headers.get('X-Prev-Page')).toBe('1')
    expect(headers.get('X-Total')).toBe('45')
    expect(headers.get('X-Total-Pages')).toBe('3')
    const base = `${EXTERNAL}/api/v4/projects/12/members/all`
    expect(headers.get('Link')).toBe(
      `<${base}?page=1&per_page=20>; rel="prev", <${base}?page=3&per_page=20>; rel="next", ` +
        `<${base}?page=1&per_page=20>; rel="first", <${base}?page=3&per_page=20>; rel="last"`,
    )
  })

  it('without counts: no X-Total, X-Total-Pages or last link; empty next/prev on a lone page', () => {
    const headers = offsetHeaders(REQUEST, EXTERNAL, { page: 1, perPage: 20, offset: 0 }, { hasNext: false })
    expect(headers.get('X-Next-Page')).toBe('')
    expect(headers.get('X-Prev-Page')).toBe('')
    expect(headers.has('X-Total')).toBe(false)
    expect(headers.has('X-Total-Pages')).toBe(false)
    expect(Object.keys(links(headers))).toEqual(['first'])
  })

  it('an empty list still has one page', () => {
    const headers = offsetHeaders(REQUEST, EXTERNAL, { page: 1, perPage: 20, offset: 0 }, { hasNext: false, total: 0 })
    expect(headers.get('X-Total')).toBe('0')
    expect(headers.get('X-Total-Pages')).toBe('1')
    expect(links(headers).last).toBe(`${EXTERNAL}/api/v4/projects/12/members/all?page=1&per_page=20`)
  })

  it('a page past the end links back to the first and last pages only', () => {
    const headers = offsetHeaders(`${REQUEST}?page=9`, EXTERNAL, { page: 9, perPage: 20, offset: 160 }, { hasNext: false, total: 45 })
    expect(headers.get('X-Prev-Page')).toBe('8')
    expect(headers.get('X-Next-Page')).toBe('')
    expect(Object.keys(links(headers))).toEqual(['prev', 'first', 'last'])
  })

  it('links use the external URL and the clamped per_page', () => {
    const headers = offsetHeaders(`${REQUEST}?per_page=500`, 'http://localhost:8787/', { page: 1, perPage: 100, offset: 0 }, { hasNext: true, total: 250 })
    expect(links(headers).next).toBe('http://localhost:8787/api/v4/projects/12/members/all?page=2&per_page=100')
    expect(links(headers).last).toBe('http://localhost:8787/api/v4/projects/12/members/all?page=3&per_page=100')
  })
})

describe('page URLs (Rails to_query)', () => {
  it('keeps the other params, sorted, with scope[] arrays', () => {
    const url = pageUrl(`${REQUEST}?scope[]=pending&scope[]=running&ref=main&page=1`, EXTERNAL, { page: '2', per_page: '20' })
    expect(url).toBe(`${EXTERNAL}/api/v4/projects/12/members/all?page=2&per_page=20&ref=main&scope%5B%5D=pending&scope%5B%5D=running`)
  })

  it('keeps percent-encoded brackets and hash params', () => {
    const array = pageUrl(`${REQUEST}?scope%5B%5D=failed`, EXTERNAL, { page: '2' })
    expect(array).toBe(`${EXTERNAL}/api/v4/projects/12/members/all?page=2&scope%5B%5D=failed`)
    const hash = pageUrl(`${REQUEST}?scope%5Bx%5D=pending`, EXTERNAL, { page: '2' })
    expect(hash).toBe(`${EXTERNAL}/api/v4/projects/12/members/all?page=2&scope%5Bx%5D=pending`)
  })

  it('keeps an URL-encoded project path in the path', () => {
    const url = pageUrl('http://127.0.0.1/api/v4/projects/group%2Fproject/members/all', EXTERNAL, { page: '1' })
    expect(url).toBe(`${EXTERNAL}/api/v4/projects/group%2Fproject/members/all?page=1`)
  })

  it('escapes values the way CGI.escape does', () => {
    const url = pageUrl(`${REQUEST}?name=a%20b%2Bc&x=(1)*!`, EXTERNAL, { page: '1' })
    expect(url).toBe(`${EXTERNAL}/api/v4/projects/12/members/all?name=a+b%2Bc&page=1&x=%281%29%2A%21`)
  })
})

describe('keyset cursors', () => {
  it('round-trips an id through the opaque cursor', () => {
    const cursor = encodeCursor(1234)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (cursor.length % 4)) % 4)))).toEqual({ id: '1234', _kd: 'n' })
    expect(decodeCursor(cursor)).toBe(1234)
  })

  it('reads GitLab\'s padded cursors too', () => {
    const padded = btoa(JSON.stringify({ id: '99', _kd: 'n' })).replace(/\+/g, '-').replace(/\//g, '_')
    expect(decodeCursor(padded)).toBe(99)
  })

  it.each([
    ['not base64!'],
    [btoa('not json')],
    [btoa(JSON.stringify({ id: 'abc' }))],
    [btoa(JSON.stringify({ id: '-1' }))],
    [btoa(JSON.stringify({ id: '5', _kd: 'p' }))],
    [''],
  ])('rejects %s with 400 cursor is invalid', (cursor) => {
    const error = errorOf(() => decodeCursor(cursor))
    expect(error.status).toBe(400)
    expect(error.body).toEqual({ error: 'cursor is invalid' })
  })

  it('keyset params: only id desc is available', () => {
    expect(parseKeysetPage({})).toEqual({ perPage: 20, beforeId: undefined })
    expect(parseKeysetPage({ per_page: '5', cursor: encodeCursor(40), order_by: 'id', sort: 'desc' })).toEqual({ perPage: 5, beforeId: 40 })
    for (const raw of [{ order_by: 'name' }, { sort: 'asc' }, { order_by: 'created_at', sort: 'desc' }]) {
      const error = errorOf(() => parseKeysetPage(raw))
      expect(error.status).toBe(405)
      expect(error.body).toEqual({ error: 'Keyset pagination is not yet available for this type of request' })
    }
    expect(errorOf(() => parseKeysetPage({ per_page: '0' })).body).toEqual({ error: 'per_page has a value not allowed' })
  })

  it('sends a next link only when there is a next page', () => {
    const request = 'http://127.0.0.1/api/v4/projects/5/jobs?pagination=keyset&per_page=2&scope[]=success'
    expect(keysetHeaders(request, EXTERNAL, undefined).has('Link')).toBe(false)
    const headers = keysetHeaders(request, EXTERNAL, 17)
    expect(headers.get('Link')).toBe(
      `<${EXTERNAL}/api/v4/projects/5/jobs?cursor=${encodeCursor(17)}&pagination=keyset&per_page=2&scope%5B%5D=success>; rel="next"`,
    )
    expect(headers.has('X-Page')).toBe(false)
    expect(headers.has('X-Total')).toBe(false)
  })
})
