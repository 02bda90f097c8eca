import { describe, expect, it } from 'vitest'
import { api, router } from '../src/routes'

/** The route table declares, for every API route, what it accepts (route_setting :authentication). */
describe('the route table', () => {
  it('lists every API route the router serves, each once', () => {
    const served = router.routes.map(([method, , , path]) => `${method} ${path}`)
    const declared = api.entries.map((entry) => `${entry.method} /api/v4${entry.path}`)
    expect(new Set(declared).size).toBe(declared.length)
    expect(served.sort()).toEqual(declared.sort())
  })

  it('gives every route at least one credential, and keeps runner tokens apart from user credentials', () => {
    for (const entry of api.entries) {
      const { personal, job, runner, anonymous } = entry.auth
      expect(personal || job || runner || anonymous, `${entry.method} ${entry.path}`).toBe(true)
      if (runner) expect(personal || job || anonymous, `${entry.method} ${entry.path}`).toBe(false)
    }
  })

  it('declares the runner protocol routes as the runner does authenticate them', () => {
    const auth = (method: string, path: string) => api.entries.find((entry) => entry.method === method && entry.path === path)!.auth
    expect(auth('POST', '/jobs/request')).toMatchObject({ runner: true, personal: false })
    expect(auth('PUT', '/jobs/:id')).toMatchObject({ job: true, personal: false, anonymous: false })
    expect(auth('GET', '/projects/:id/jobs')).toMatchObject({ personal: true, job: true, anonymous: false })
    expect(auth('GET', '/projects/:id/pipelines')).toMatchObject({ personal: true, job: true, anonymous: true })
    expect(auth('GET', '/user').scopes?.map((scope) => scope.name)).toEqual(['read_user'])
  })
})
