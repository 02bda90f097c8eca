import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { open } from '../../src/auth/secret-box'
import { addMember, api, apiJson, createProject, createUser, unique } from '../world'
import { startRunningJob } from '../runner-client'

/**
 * Project-level CI/CD variables (lib/api/ci/variables.rb, API::Helpers::VariablesHelpers
 * #find_variable, Ci::Variable with Ci::HasVariable, Ci::Maskable, Ci::HidableVariable,
 * HasEnvironmentScope) and instance-level ones (lib/api/admin/ci/variables.rb,
 * Ci::InstanceVariable). Values are encrypted at rest (src/auth/secret-box.ts).
 */

const MASKED_OK = 'abcDEF123+/=@:.~-_'

async function storedRows(projectId: number) {
  const { results } = await env.DB.prepare('SELECT key, value, environment_scope FROM ci_variables WHERE project_id = ? ORDER BY id').bind(projectId).all<{ key: string; value: string; environment_scope: string }>()
  return results
}

describe('Project variables API', () => {
  it('creates, lists, shows, updates and deletes a variable with GitLab shapes; the D1 row holds no plaintext', async () => {
    const project = await createProject()
    const token = project.owner.token
    const created = await apiJson('POST', `/projects/${project.id}/variables`, {
      token, body: { key: 'DEPLOY_TOKEN', value: 'plain secret value', protected: true, description: 'for deploys' },
    })
    expect(created).toMatchObject({ status: 201 })
    expect(created.body).toEqual({
      variable_type: 'env_var', key: 'DEPLOY_TOKEN', value: 'plain secret value', protected: true, masked: false, hidden: false,
      raw: false, environment_scope: '*', description: 'for deploys',
    })

    const [row] = await storedRows(project.id)
    expect(row.value).toMatch(/^enc:v1:/)
    expect(row.value).not.toContain('plain secret value')
    expect(await open(env, row.value)).toBe('plain secret value')
    // A fresh IV per value: the same plaintext never encrypts the same way twice.
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'SAME', value: 'plain secret value' } })
    const rows = await storedRows(project.id)
    expect(rows[1].value).not.toBe(rows[0].value)

    const list = await apiJson('GET', `/projects/${project.id}/variables`, { token })
    expect(list.status).toBe(200)
    expect(list.body.map((item: any) => [item.key, item.value])).toEqual([['DEPLOY_TOKEN', 'plain secret value'], ['SAME', 'plain secret value']])
    expect(list.headers.get('X-Total')).toBe('2')

    expect(await apiJson('GET', `/projects/${project.id}/variables/DEPLOY_TOKEN`, { token })).toMatchObject({ status: 200, body: { key: 'DEPLOY_TOKEN', value: 'plain secret value' } })

    const updated = await apiJson('PUT', `/projects/${project.id}/variables/DEPLOY_TOKEN`, {
      token, body: { value: 'file contents', variable_type: 'file', protected: false, raw: true, environment_scope: 'production' },
    })
    expect(updated).toMatchObject({ status: 200, body: { key: 'DEPLOY_TOKEN', value: 'file contents', variable_type: 'file', protected: false, raw: true, environment_scope: 'production', description: 'for deploys' } })
    expect((await storedRows(project.id))[0].value).not.toContain('file contents')

    // The path's project id may be the URL-encoded full path.
    const byPath = await api('DELETE', `/projects/${encodeURIComponent(project.path_with_namespace)}/variables/DEPLOY_TOKEN`, { token })
    expect(byPath.status).toBe(204)
    expect(await apiJson('GET', `/projects/${project.id}/variables/DEPLOY_TOKEN`, { token })).toEqual(expect.objectContaining({ status: 404, body: { message: '404 Variable Not Found' } }))
    expect(await apiJson('PUT', `/projects/${project.id}/variables/NOPE`, { token, body: { value: 'x' } })).toMatchObject({ status: 404, body: { message: '404 Variable Not Found' } })
    expect(await apiJson('DELETE', `/projects/${project.id}/variables/NOPE`, { token })).toMatchObject({ status: 404 })
  })

  it('validates as Ci::Variable does, with render_validation_error! bodies, and writes nothing on failure', async () => {
    const project = await createProject()
    const token = project.owner.token
    const post = (body: Record<string, unknown>) => apiJson('POST', `/projects/${project.id}/variables`, { token, body })
    expect(await post({ key: 'bad-key', value: 'x' })).toEqual(expect.objectContaining({ status: 400, body: { message: { key: ["can contain only letters, digits and '_'."] } } }))
    expect(await post({ key: '', value: 'x' })).toMatchObject({ status: 400, body: { message: { key: ["can't be blank", "can contain only letters, digits and '_'."] } } })
    expect(await post({ key: 'K'.repeat(256), value: 'x' })).toMatchObject({ status: 400, body: { message: { key: ['is too long (maximum is 255 characters)'] } } })
    // Ci::Maskable::REGEX: 8+ characters of its alphabet, one line.
    for (const value of ['short', 'has space in it', 'line\nbreak!!', 'percent%sign']) {
      expect(await post({ key: 'M', value, masked: true })).toMatchObject({ status: 400, body: { message: { value: ['is invalid'] } } })
    }
    // raw masked values may hold any non-space character (MASK_AND_RAW_REGEX).
    expect(await post({ key: 'RAW_MASKED', value: 'percent%sign', masked: true, raw: true })).toMatchObject({ status: 201, body: { masked: true, raw: true } })
    expect(await post({ key: 'MASKED', value: MASKED_OK, masked: 'true' })).toMatchObject({ status: 201, body: { masked: true } })
    expect(await post({ key: 'S', value: 'x', environment_scope: 'bad|scope' })).toMatchObject({
      status: 400, body: { message: { environment_scope: ["can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces"] } },
    })
    expect(await post({ key: 'S', value: 'x', description: 'd'.repeat(256) })).toMatchObject({ status: 400, body: { message: { description: ['is too long (maximum is 255 characters)'] } } })
    // Grape's own validation.
    expect(await post({ key: 'T', value: 'x', variable_type: 'secret' })).toEqual(expect.objectContaining({ status: 400, body: { error: 'variable_type does not have a valid value' } }))
    expect(await post({ key: 'T' })).toMatchObject({ status: 400, body: { error: 'value is missing' } })
    expect(await post({ value: 'x' })).toMatchObject({ status: 400, body: { error: 'key is missing' } })
    expect(await post({ key: 'T', value: 'x', masked: 'maybe' })).toMatchObject({ status: 400, body: { error: 'masked is invalid' } })
    // The key is unique per environment scope: `(KEY) has already been taken`.
    expect(await post({ key: 'MASKED', value: 'y' })).toEqual(expect.objectContaining({ status: 400, body: { message: { key: ['(MASKED) has already been taken'] } } }))
    expect(await post({ key: 'MASKED', value: 'y', environment_scope: 'review/*' })).toMatchObject({ status: 201 })
    expect((await storedRows(project.id)).map((row) => row.key)).toEqual(['RAW_MASKED', 'MASKED', 'MASKED'])

    // Optional params sent as null are absent (Grape); the key is stripped.
    expect(await post({ key: ' NULLS ', value: 'v', protected: null, masked: null, variable_type: null, environment_scope: null, description: null }))
      .toMatchObject({ status: 201, body: { key: 'NULLS', protected: false, masked: false, variable_type: 'env_var', environment_scope: '*', description: null } })
    // An update that fails validation changes nothing.
    expect(await apiJson('PUT', `/projects/${project.id}/variables/NULLS`, { token, body: { value: 'no', masked: true } })).toMatchObject({ status: 400, body: { message: { value: ['is invalid'] } } })
    expect(await apiJson('GET', `/projects/${project.id}/variables/NULLS`, { token })).toMatchObject({ body: { value: 'v', masked: false } })
  })

  it("needs filter[environment_scope] when a key has several scopes (409), and honours it on GET, PUT and DELETE", async () => {
    const project = await createProject()
    const token = project.owner.token
    for (const scope of ['*', 'production']) {
      expect((await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'URL', value: `url-${scope}`, environment_scope: scope } })).status).toBe(201)
    }
    const conflict = { status: 409, body: { message: "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'" } }
    expect(await apiJson('GET', `/projects/${project.id}/variables/URL`, { token })).toMatchObject(conflict)
    expect(await apiJson('PUT', `/projects/${project.id}/variables/URL`, { token, body: { value: 'x' } })).toMatchObject(conflict)
    expect(await apiJson('DELETE', `/projects/${project.id}/variables/URL`, { token })).toMatchObject(conflict)
    expect(await apiJson('GET', `/projects/${project.id}/variables/URL?filter[environment_scope]=production`, { token })).toMatchObject({ status: 200, body: { value: 'url-production' } })
    expect(await apiJson('GET', `/projects/${project.id}/variables/URL?filter[environment_scope]=staging`, { token })).toMatchObject({ status: 404 })
    expect(await apiJson('GET', `/projects/${project.id}/variables/URL?filter=oops`, { token })).toMatchObject({ status: 400, body: { error: 'filter is invalid' } })
    // Moving a variable onto a scope its key already has is `has already been taken`.
    expect(await apiJson('PUT', `/projects/${project.id}/variables/URL`, { token, body: { environment_scope: '*', filter: { environment_scope: 'production' } } }))
      .toMatchObject({ status: 400, body: { message: { key: ['(URL) has already been taken'] } } })
    expect(await apiJson('PUT', `/projects/${project.id}/variables/URL`, { token, body: { value: 'new', filter: { environment_scope: 'production' } } }))
      .toMatchObject({ status: 200, body: { value: 'new', environment_scope: 'production' } })
    expect((await api('DELETE', `/projects/${project.id}/variables/URL?filter[environment_scope]=production`, { token })).status).toBe(204)
    expect(await apiJson('GET', `/projects/${project.id}/variables/URL`, { token })).toMatchObject({ status: 200, body: { value: 'url-*' } })
  })

  it('never shows a hidden value (masked_and_hidden on create) and refuses to change its visibility', async () => {
    const project = await createProject()
    const token = project.owner.token
    const created = await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'HIDDEN', value: MASKED_OK, masked_and_hidden: true } })
    expect(created).toMatchObject({ status: 201, body: { key: 'HIDDEN', value: null, masked: true, hidden: true } })
    expect((await apiJson('GET', `/projects/${project.id}/variables/HIDDEN`, { token })).body.value).toBeNull()
    expect((await apiJson('GET', `/projects/${project.id}/variables`, { token })).body[0].value).toBeNull()
    expect(await apiJson('PUT', `/projects/${project.id}/variables/HIDDEN`, { token, body: { masked: false } })).toMatchObject({
      status: 400, body: { message: { base: ['The visibility setting cannot be changed for masked and hidden variables.'] } },
    })
    // Its value can still be replaced (and stays hidden).
    expect(await apiJson('PUT', `/projects/${project.id}/variables/HIDDEN`, { token, body: { value: 'another-masked-value' } })).toMatchObject({ status: 200, body: { value: null, hidden: true } })
    expect(await open(env, (await storedRows(project.id))[0].value)).toBe('another-masked-value')
  })

  it('is for maintainers and owners (admin_cicd_variables); others 403, outsiders of a private project 404, anonymous and job tokens 401', async () => {
    const project = await createProject()
    const [reporter, developer, maintainer, outsider] = await Promise.all([createUser(), createUser(), createUser(), createUser()])
    await addMember(project, reporter, 20)
    await addMember(project, developer, 30)
    await addMember(project, maintainer, 40)
    const path = `/projects/${project.id}/variables`
    for (const user of [reporter, developer]) {
      expect(await apiJson('GET', path, { token: user.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
      expect(await apiJson('POST', path, { token: user.token, body: { key: 'K', value: 'v' } })).toMatchObject({ status: 403 })
    }
    expect(await apiJson('GET', path, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect(await apiJson('POST', path, { token: outsider.token, body: { key: 'K', value: 'v' } })).toMatchObject({ status: 404 })
    // Authorization comes before parameter validation, as Grape's `before` blocks do.
    expect(await apiJson('POST', path, { token: outsider.token, body: { key: 'bad-key' } })).toMatchObject({ status: 404 })
    expect(await apiJson('POST', path, { token: developer.token, body: { variable_type: 'nope' } })).toMatchObject({ status: 403 })
    expect((await apiJson('GET', path, { token: null })).status).toBe(401)
    expect(await apiJson('POST', path, { token: maintainer.token, body: { key: 'K', value: 'v' } })).toMatchObject({ status: 201 })
    expect(await apiJson('GET', `${path}/K`, { token: project.owner.token })).toMatchObject({ status: 200 })
    expect((await storedRows(project.id)).length).toBe(1)

    const publicProject = await createProject({ visibility: 'public' })
    expect(await apiJson('GET', `/projects/${publicProject.id}/variables`, { token: outsider.token })).toMatchObject({ status: 403 })

    const { project: ciProject, job } = await startRunningJob('build: {script: [x]}\n')
    const byJob = await api('GET', `/projects/${ciProject.id}/variables`, { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(byJob.status).toBe(401)
  })

  it('paginates the list with GitLab headers', async () => {
    const project = await createProject()
    const token = project.owner.token
    for (const key of ['A', 'B', 'C']) await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key, value: key } })
    const first = await apiJson('GET', `/projects/${project.id}/variables?per_page=2`, { token })
    expect(first.body.map((item: any) => item.key)).toEqual(['A', 'B'])
    expect([first.headers.get('X-Total'), first.headers.get('X-Total-Pages'), first.headers.get('X-Next-Page'), first.headers.get('X-Per-Page')]).toEqual(['3', '2', '2', '2'])
    const second = await apiJson('GET', `/projects/${project.id}/variables?per_page=2&page=2`, { token })
    expect(second.body.map((item: any) => item.key)).toEqual(['C'])
    expect(second.headers.get('X-Prev-Page')).toBe('1')
  })
})

describe('a deleted project (Projects::DestroyService)', () => {
  it('takes its variables, protected branches and protected tags with it', async () => {
    const project = await createProject()
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'GONE', value: 'soon' } })
    await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main' } })
    await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'v*' } })
    expect((await api('DELETE', `/projects/${project.id}`, { token })).status).toBe(202)
    const counts = await env.DB.batch(['ci_variables', 'protected_branches', 'protected_tags'].map((table) =>
      env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ?`).bind(project.id)))
    expect(counts.map((result) => (result.results[0] as { n: number }).n)).toEqual([0, 0, 0])
  })
})

describe('Instance variables API (/admin/ci/variables)', () => {
  it('is admin only; CRUD with GitLab shapes, 10,000-character values, unique keys, no environment scope', async () => {
    const admin = await createUser({ admin: true })
    const user = await createUser()
    const key = unique('INST').replace(/[^A-Za-z0-9_]/g, '_')
    expect(await apiJson('GET', '/admin/ci/variables', { token: user.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await apiJson('POST', '/admin/ci/variables', { token: user.token, body: { key, value: 'v' } })).toMatchObject({ status: 403 })
    expect((await apiJson('GET', '/admin/ci/variables', { token: null })).status).toBe(401)

    const created = await apiJson('POST', '/admin/ci/variables', { token: admin.token, body: { key, value: 'instance value', protected: true } })
    expect(created).toEqual(expect.objectContaining({
      status: 201, body: { key, description: null, variable_type: 'env_var', value: 'instance value', protected: true, masked: false, raw: false },
    }))
    const row = await env.DB.prepare('SELECT value FROM ci_instance_variables WHERE key = ?').bind(key).first<{ value: string }>()
    expect(row!.value).toMatch(/^enc:v1:/)
    expect(row!.value).not.toContain('instance value')

    expect(await apiJson('POST', '/admin/ci/variables', { token: admin.token, body: { key, value: 'again' } })).toMatchObject({ status: 400, body: { message: { key: [`(${key}) has already been taken`] } } })
    expect(await apiJson('POST', '/admin/ci/variables', { token: admin.token, body: { key: `${key}_LONG`, value: 'x'.repeat(10_001) } })).toMatchObject({
      status: 400, body: { message: { value: ['The value of the provided variable exceeds the 10000 character limit'] } },
    })
    expect(await apiJson('POST', '/admin/ci/variables', { token: admin.token, body: { key: `${key}_M`, value: 'short', masked: true } })).toMatchObject({ status: 400, body: { message: { value: ['is invalid'] } } })

    expect(await apiJson('GET', `/admin/ci/variables/${key}`, { token: admin.token })).toMatchObject({ status: 200, body: { key, value: 'instance value' } })
    const list = await apiJson('GET', '/admin/ci/variables?per_page=100', { token: admin.token })
    expect(list.body.find((item: any) => item.key === key)).toMatchObject({ value: 'instance value' })
    expect(list.headers.get('X-Total')).not.toBeNull()
    expect(await apiJson('PUT', `/admin/ci/variables/${key}`, { token: admin.token, body: { value: 'changed', variable_type: 'file', description: null } }))
      .toMatchObject({ status: 200, body: { value: 'changed', variable_type: 'file', protected: true } })
    expect(await apiJson('PUT', `/admin/ci/variables/${key}`, { token: user.token, body: { value: 'x' } })).toMatchObject({ status: 403 })
    expect((await api('DELETE', `/admin/ci/variables/${key}`, { token: admin.token })).status).toBe(204)
    expect(await apiJson('GET', `/admin/ci/variables/${key}`, { token: admin.token })).toMatchObject({ status: 404, body: { message: '404 InstanceVariable Not Found' } })
    expect(await apiJson('DELETE', `/admin/ci/variables/${key}`, { token: admin.token })).toMatchObject({ status: 404 })
  })
})
