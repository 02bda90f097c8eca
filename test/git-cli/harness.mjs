// Helpers for the real-git tests: the served Worker's API, and the `git` command line run in
// temporary directories with a clean configuration (no user or system config, no prompts).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const BASE = process.env.GIT_TEST_BASE ?? 'http://127.0.0.1:8822'
export const ROOT_TOKEN = process.env.GIT_TEST_ROOT_TOKEN ?? 'glpat-git-cli-root-token-0000000'
export const API = `${BASE}/api/v4`
export const HOST = new URL(BASE).host
export const ZERO = '0'.repeat(40)

/** Every temporary directory made here, removed when the test process ends. */
const made = []
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

const HOME = mkdtempSync(join(tmpdir(), 'edgejobs-git-home-'))
made.push(HOME)
writeFileSync(join(HOME, '.gitconfig'), '[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n')
export const GIT_ENV = {
  PATH: process.env.PATH, HOME, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANG: 'C',
  GIT_AUTHOR_DATE: undefined,
}
for (const key of Object.keys(GIT_ENV)) if (GIT_ENV[key] === undefined) delete GIT_ENV[key]

let counter = 0
export function unique(prefix) {
  counter += 1
  return `${prefix}${Date.now().toString(36)}${counter}${process.pid.toString(36)}`
}

export function tmp(prefix = 'repo') {
  const dir = mkdtempSync(join(tmpdir(), `edgejobs-${prefix}-`))
  made.push(dir)
  return dir
}

/** Runs git synchronously; returns { status, stdout, stderr }. */
export function git(args, { cwd, env = {}, input } = {}) {
  const result = spawnSync('git', args, { cwd, env: { ...GIT_ENV, ...env }, encoding: 'utf8', input, maxBuffer: 512 * 1024 * 1024 })
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' }
}

/** Runs git and fails the test (with git's output) unless it exits 0. */
export function gitOk(args, options = {}) {
  const result = git(args, options)
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout.trim()
}

/** git, asynchronously (for concurrent pushes). */
export function gitAsync(args, { cwd, env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, env: { ...GIT_ENV, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

export async function api(method, path, { token = ROOT_TOKEN, body, headers = {} } = {}) {
  const h = { ...headers }
  if (token) h['PRIVATE-TOKEN'] = token
  if (body !== undefined) h['Content-Type'] = 'application/json'
  const res = await fetch(`${API}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, body: json, headers: res.headers }
}

export async function createUser() {
  const username = unique('u')
  const user = await api('POST', '/users', { body: { username, name: `User ${username}`, email: `${username}@example.com` } })
  if (user.status !== 201) throw new Error(`create user: ${user.status} ${JSON.stringify(user.body)}`)
  const token = await api('POST', `/users/${user.body.id}/personal_access_tokens`, { body: { name: 't', scopes: ['api'] } })
  return { id: user.body.id, username, token: token.body.token }
}

/** A project of a new user (its owner), `private` unless told. */
export async function createProject({ visibility = 'private', owner } = {}) {
  owner ??= await createUser()
  const name = unique('p')
  const res = await api('POST', '/projects', { token: owner.token, body: { name, visibility } })
  if (res.status !== 201) throw new Error(`create project: ${res.status} ${JSON.stringify(res.body)}`)
  return { ...res.body, owner, url: `${BASE}/${res.body.path_with_namespace}.git` }
}

export async function addMember(project, user, level) {
  const res = await api('POST', `/projects/${project.id}/members`, { token: project.owner.token, body: { user_id: user.id, access_level: level } })
  if (res.status !== 201) throw new Error(`add member: ${res.status}`)
}

/** A clone of the project by a new member with access `level`; returns the clone's directory. */
export async function memberClone(project, level, prefix = 'member') {
  const user = await createUser()
  await addMember(project, user, level)
  const dir = tmp(prefix)
  gitOk(['clone', '-q', authUrl(project, user.username, user.token), dir])
  return dir
}

/** The project URL with Basic credentials in it. */
export function authUrl(project, username, password) {
  const url = new URL(project.url)
  url.username = encodeURIComponent(username)
  url.password = encodeURIComponent(password)
  return url.toString()
}

export function ownerUrl(project) {
  return authUrl(project, project.owner.username, project.owner.token)
}

export async function pipelines(project) {
  const res = await api('GET', `/projects/${project.id}/pipelines?per_page=100`, { token: project.owner.token })
  return res.body
}

export async function pipeline(project, id) {
  return (await api('GET', `/projects/${project.id}/pipelines/${id}`, { token: project.owner.token })).body
}

/** A new local repository with `origin` = the project (owner's credentials). */
export function localRepo(project, url = ownerUrl(project)) {
  const dir = tmp('work')
  gitOk(['init', '-q', dir])
  gitOk(['remote', 'add', 'origin', url], { cwd: dir })
  return dir
}

export function commitFile(dir, path, content, message = `change ${path}`) {
  writeFileSync(join(dir, path), content)
  gitOk(['add', path], { cwd: dir })
  gitOk(['commit', '-q', '-m', message], { cwd: dir })
  return gitOk(['rev-parse', 'HEAD'], { cwd: dir })
}

export const CI_CONFIG = 'test:\n  script: echo hello\n'

/** A POST of raw bytes to a git endpoint (for hand-made bad requests). */
export async function gitPost(project, service, body, { token = project.owner.token, username = project.owner.username } = {}) {
  const res = await fetch(`${project.url}/${service}`, {
    method: 'POST',
    headers: {
      'Content-Type': `application/x-${service}-request`,
      Authorization: `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`,
    },
    body,
  })
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers }
}

export function pktLine(text) {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text)
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body])
}
export const FLUSH = Buffer.from('0000')
