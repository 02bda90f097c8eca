import { SELF } from 'cloudflare:test'

/** The root token the tests' Worker is configured with (vitest.config.ts). */
export const ROOT_TOKEN = 'glpat-test-root-token-000000000'
export const BASE = 'https://edgejobs.test/api/v4'

let counter = 0
/** A name unique within the test run. */
export function unique(prefix: string): string {
  counter += 1
  return `${prefix}${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e6).toString(36)}`
}

export interface CallOptions {
  token?: string | null
  headers?: Record<string, string>
  body?: unknown
  form?: Record<string, string>
  raw?: BodyInit
}

/** Calls the Worker through fetch, exactly as a client would. */
export async function api(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers)
  const token = options.token === undefined ? ROOT_TOKEN : options.token
  if (token) headers.set('PRIVATE-TOKEN', token)
  let body: BodyInit | undefined = options.raw
  if (options.body !== undefined) {
    headers.set('Content-Type', 'application/json')
    body = JSON.stringify(options.body)
  } else if (options.form) {
    headers.set('Content-Type', 'application/x-www-form-urlencoded')
    body = new URLSearchParams(options.form).toString()
  }
  return SELF.fetch(`${BASE}${path}`, { method, headers, body })
}

export async function apiJson<T = any>(method: string, path: string, options: CallOptions = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await api(method, path, options)
  const text = await response.text()
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, headers: response.headers }
}

export interface TestUser {
  id: number
  username: string
  token: string
}

export async function createUser(options: { admin?: boolean } = {}): Promise<TestUser> {
  const username = unique('user')
  const created = await apiJson('POST', '/users', {
    body: { username, name: `User ${username}`, email: `${username}@example.com`, admin: options.admin ?? false },
  })
  if (created.status !== 201) throw new Error(`createUser: ${created.status} ${JSON.stringify(created.body)}`)
  const token = await apiJson('POST', `/users/${created.body.id}/personal_access_tokens`, {
    body: { name: 'test', scopes: ['api'] },
  })
  if (token.status !== 201) throw new Error(`createToken: ${token.status} ${JSON.stringify(token.body)}`)
  return { id: created.body.id, username, token: token.body.token }
}

export interface TestProject {
  id: number
  path_with_namespace: string
  owner: TestUser
}

export async function createProject(
  options: { owner?: TestUser; visibility?: 'private' | 'internal' | 'public'; public_jobs?: boolean } = {},
): Promise<TestProject> {
  const owner = options.owner ?? (await createUser())
  const created = await apiJson('POST', '/projects', {
    token: owner.token,
    body: { name: unique('proj'), visibility: options.visibility ?? 'private', public_jobs: options.public_jobs ?? true },
  })
  if (created.status !== 201) throw new Error(`createProject: ${created.status} ${JSON.stringify(created.body)}`)
  return { id: created.body.id, path_with_namespace: created.body.path_with_namespace, owner }
}

export async function addMember(project: TestProject, user: TestUser, accessLevel: number): Promise<void> {
  const res = await apiJson('POST', `/projects/${project.id}/members`, {
    token: project.owner.token,
    body: { user_id: user.id, access_level: accessLevel },
  })
  if (res.status !== 201) throw new Error(`addMember: ${res.status} ${JSON.stringify(res.body)}`)
}

export async function commitFile(project: TestProject, path: string, content: string, branch = 'main', method: 'POST' | 'PUT' = 'POST'): Promise<void> {
  const url = `/projects/${project.id}/repository/files/${encodeURIComponent(path)}`
  const body = { branch, content, commit_message: `Add ${path}` }
  let res = await apiJson(method, url, { token: project.owner.token, body })
  // As in GitLab, a new branch of a non-empty repository needs a start_branch: start it from main.
  if (res.status === 400 && res.body?.message === 'You can only create or edit files when you are on a branch') {
    res = await apiJson(method, url, { token: project.owner.token, body: { ...body, start_branch: 'main' } })
  }
  if (res.status !== 201 && res.status !== 200) throw new Error(`commitFile: ${res.status} ${JSON.stringify(res.body)}`)
}

/** A further personal access token for `user` (admin API), e.g. one that expires. */
export async function createToken(user: TestUser, options: { expires_at?: string; scopes?: string[] } = {}): Promise<{ id: number; token: string }> {
  const res = await apiJson('POST', `/users/${user.id}/personal_access_tokens`, {
    body: { name: unique('tok'), scopes: options.scopes ?? ['api'], ...(options.expires_at ? { expires_at: options.expires_at } : {}) },
  })
  if (res.status !== 201) throw new Error(`createToken: ${res.status} ${JSON.stringify(res.body)}`)
  return { id: res.body.id, token: res.body.token }
}

/** A token that no longer works: expired (`expires_at` today) or revoked by its owner. */
export async function deadToken(user: TestUser, how: 'expired' | 'revoked'): Promise<string> {
  if (how === 'expired') return (await createToken(user, { expires_at: new Date().toISOString().slice(0, 10) })).token
  const { id, token } = await createToken(user)
  const res = await api('DELETE', `/personal_access_tokens/${id}`, { token: user.token })
  if (res.status !== 204) throw new Error(`revokeToken: ${res.status}`)
  return token
}

/** The project's `:id` as its URL-encoded full path (`namespace%2Fproject`). */
export function encodedPath(project: TestProject): string {
  return encodeURIComponent(project.path_with_namespace)
}

/** Commits `.gitlab-ci.yml` (creating or updating it) and creates a pipeline on `main`. */
export async function createPipelineFrom(project: TestProject, ci: string, options: { ref?: string; variables?: Array<{ key: string; value: string }> } = {}): Promise<any> {
  const ref = options.ref ?? 'main'
  const exists = await api('GET', `/projects/${project.id}/repository/files/.gitlab-ci.yml/raw?ref=${ref}`, { token: project.owner.token })
  await commitFile(project, '.gitlab-ci.yml', ci, ref, exists.status === 200 ? 'PUT' : 'POST')
  const res = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref, variables: options.variables } })
  if (res.status !== 201) throw new Error(`createPipeline: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}
