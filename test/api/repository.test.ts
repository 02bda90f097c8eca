import { describe, expect, it } from 'vitest'
import { addMember, api, apiJson, commitFile, createProject, createUser, deadToken, encodedPath, type TestProject } from '../world'

const EXTERNAL = 'https://gitlab.example.com'
/** Commit dates: git keeps seconds; GitLab shows them with .000 and the offset. */
const COMMIT_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+00:00$/

const filePath = (project: TestProject | number, path: string) =>
  `/projects/${typeof project === 'number' ? project : project.id}/repository/files/${encodeURIComponent(path)}`

async function raw(project: TestProject, path: string, ref?: string, token: string | null = project.owner.token) {
  const query = ref === undefined ? '' : `?ref=${encodeURIComponent(ref)}`
  const res = await api('GET', `${filePath(project, path)}/raw${query}`, { token })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

async function head(project: TestProject, ref = 'main', token: string | null = project.owner.token) {
  return apiJson('GET', `/projects/${project.id}/repository/commits/${encodeURIComponent(ref)}`, { token })
}

describe('POST /projects/:id/repository/files/:file_path', () => {
  it('creates a file in a new commit on the branch', async () => {
    const project = await createProject()
    const res = await apiJson('POST', filePath(project, '.gitlab-ci.yml'), {
      token: project.owner.token,
      body: { branch: 'main', content: 'test:\n  script: echo hi\n', commit_message: 'Add CI config' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ file_path: '.gitlab-ci.yml', branch: 'main' })
    const file = await raw(project, '.gitlab-ci.yml', 'main')
    expect(file.status).toBe(200)
    expect(file.text).toBe('test:\n  script: echo hi\n')
    expect(file.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
  })

  it('makes the first branch of an empty repository its default branch', async () => {
    const project = await createProject()
    await commitFile(project, 'README.md', '# hi', 'trunk')
    expect((await apiJson('GET', `/projects/${project.id}`, { token: project.owner.token })).body.default_branch).toBe('trunk')
    expect((await raw(project, 'README.md')).text).toBe('# hi')
  })

  it('creates files in directories, given a URL-encoded path', async () => {
    const project = await createProject()
    await commitFile(project, 'ci/templates/build.yml', 'build: {}')
    expect((await raw(project, 'ci/templates/build.yml', 'main')).text).toBe('build: {}')
  })

  it('decodes base64 content', async () => {
    const project = await createProject()
    const res = await apiJson('POST', filePath(project, 'hello.txt'), {
      token: project.owner.token,
      body: { branch: 'main', content: btoa('héllo wörld\n'.replace(/[^\x00-\x7f]/g, (c) => unescape(encodeURIComponent(c)))), encoding: 'base64', commit_message: 'b64' },
    })
    expect(res.status).toBe(201)
    expect((await raw(project, 'hello.txt', 'main')).text).toBe('héllo wörld\n')
  })

  it('refuses to create a file that exists', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'one')
    const res = await apiJson('POST', filePath(project, 'a.txt'), { token: project.owner.token, body: { branch: 'main', content: 'two', commit_message: 'again' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ message: 'A file with this name already exists' })
    expect((await raw(project, 'a.txt', 'main')).text).toBe('one')
  })

  it('creates a new branch from start_branch, leaving the start branch alone', async () => {
    const project = await createProject()
    await commitFile(project, 'base.txt', 'base')
    const mainHead = (await head(project)).body
    const res = await apiJson('POST', filePath(project, 'feature.txt'), {
      token: project.owner.token,
      body: { branch: 'feature/x', start_branch: 'main', content: 'f', commit_message: 'Feature' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ file_path: 'feature.txt', branch: 'feature/x' })
    const featureHead = (await head(project, 'feature/x')).body
    expect(featureHead.parent_ids).toEqual([mainHead.id])
    expect((await raw(project, 'base.txt', 'feature/x')).text).toBe('base')
    expect((await raw(project, 'feature.txt', 'feature/x')).text).toBe('f')
    expect((await raw(project, 'feature.txt', 'main')).status).toBe(404)
    expect((await head(project)).body.id).toBe(mainHead.id)
  })

  it('follows GitLab\'s branch rules', async () => {
    const project = await createProject()
    await commitFile(project, 'base.txt', 'base')
    const post = (body: Record<string, unknown>) =>
      apiJson('POST', filePath(project, `n${Math.random()}.txt`), { token: project.owner.token, body: { content: 'x', commit_message: 'm', ...body } })

    expect((await post({ branch: 'other', start_branch: 'main' })).status).toBe(201)

    const noBranch = await post({ branch: 'nowhere' })
    expect(noBranch.status).toBe(400)
    expect(noBranch.body).toEqual({ message: 'You can only create or edit files when you are on a branch' })

    const badStart = await post({ branch: 'new', start_branch: 'missing' })
    expect(badStart.status).toBe(400)
    expect(badStart.body).toEqual({ message: 'You can only create or edit files when you are on a branch' })

    const taken = await post({ branch: 'other', start_branch: 'main' })
    expect(taken.status).toBe(400)
    expect(taken.body).toEqual({ message: "A branch called 'other' already exists. Switch to that branch in order to make changes" })

    expect((await post({ branch: 'main', start_branch: 'main' })).status).toBe(201)

    for (const bad of ['a b', 'x..y', 'end.lock', '-dash', 'trailing/', 'HEAD', 'we@{ird']) {
      const res = await post({ branch: bad, start_branch: 'main' })
      expect(res.status, bad).toBe(400)
      expect(res.body).toEqual({ message: `Something went wrong when we tried to create '${bad}' for you: Branch name is invalid` })
    }
  })

  it('may start a branch from nothing in an empty repository', async () => {
    const project = await createProject()
    const res = await apiJson('POST', filePath(project, 'x.txt'), {
      token: project.owner.token,
      body: { branch: 'dev', start_branch: 'main', content: 'x', commit_message: 'first' },
    })
    expect(res.status).toBe(201)
    expect((await head(project, 'dev')).body.parent_ids).toEqual([])
  })

  it('rejects missing, blank and mistyped params', async () => {
    const project = await createProject()
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [{}, { error: 'branch is missing, commit_message is missing, content is missing' }],
      [{ branch: 'main', content: 'x' }, { error: 'commit_message is missing' }],
      [{ branch: '', content: 'x', commit_message: 'm' }, { error: 'branch is empty' }],
      [{ branch: 'main', content: 'x', commit_message: '  ' }, { error: 'commit_message is empty' }],
      [{ branch: 'main', commit_message: 'm' }, { error: 'content is missing' }],
      [{ branch: 'main', content: { a: 1 }, commit_message: 'm' }, { error: 'content is invalid' }],
      [{ branch: ['main'], content: 'x', commit_message: 'm' }, { error: 'branch is invalid' }],
      [{ branch: 'main', content: 'x', commit_message: 'm', encoding: 'hex' }, { error: 'encoding does not have a valid value' }],
      [{ branch: 'main', content: '%%%', commit_message: 'm', encoding: 'base64' }, { error: 'content is invalid' }],
    ]
    for (const [body, expected] of cases) {
      const res = await apiJson('POST', filePath(project, 'f.txt'), { token: project.owner.token, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body).toEqual(expected)
    }
  })

  // (A bare `..` never reaches the Worker: URL parsing resolves that segment.)
  it.each(['../etc/passwd', 'a/../../b', 'a/..', '/abs.txt', 'x\ny'])('rejects the file path %s', async (path) => {
    const project = await createProject()
    const res = await apiJson('POST', filePath(project, path), { token: project.owner.token, body: { branch: 'main', content: 'x', commit_message: 'm' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'file_path should be a valid file path' })
  })

  it('lets developers push and forbids reporters and guests', async () => {
    const project = await createProject()
    await commitFile(project, 'base.txt', 'base')
    const developer = await createUser()
    await addMember(project, developer, 30)
    const pushed = await apiJson('POST', filePath(project, 'dev.txt'), {
      token: developer.token,
      body: { branch: 'dev-work', start_branch: 'main', content: 'd', commit_message: 'dev' },
    })
    expect(pushed.status).toBe(201)
    for (const level of [10, 20]) {
      const user = await createUser()
      await addMember(project, user, level)
      const res = await apiJson('POST', filePath(project, `l${level}.txt`), { token: user.token, body: { branch: 'main', content: 'x', commit_message: 'm' } })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ message: '403 Forbidden' })
    }
  })

  it('hides private projects (404) and refuses anonymous writes to public ones (403)', async () => {
    const secret = await createProject({ visibility: 'private' })
    const open = await createProject({ visibility: 'public' })
    const stranger = await createUser()
    const body = { branch: 'main', content: 'x', commit_message: 'm' }
    for (const token of [stranger.token, null]) {
      const res = await apiJson('POST', filePath(secret, 'x.txt'), { token, body })
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ message: '404 Project Not Found' })
    }
    for (const token of [stranger.token, null]) {
      const res = await apiJson('POST', filePath(open, 'x.txt'), { token, body })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ message: '403 Forbidden' })
    }
    expect((await apiJson('POST', filePath(999999999, 'x.txt'), { body })).body).toEqual({ message: '404 Project Not Found' })
  })

  it('answers 401 for expired and revoked tokens', async () => {
    const project = await createProject()
    for (const how of ['expired', 'revoked'] as const) {
      const token = await deadToken(project.owner, how)
      const res = await apiJson('POST', filePath(project, 'x.txt'), { token, body: { branch: 'main', content: 'x', commit_message: 'm' } })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
  })

  it('works through the URL-encoded project path', async () => {
    const project = await createProject()
    const res = await apiJson('POST', `/projects/${encodedPath(project)}/repository/files/x.txt`, {
      token: project.owner.token,
      form: { branch: 'main', content: 'form', commit_message: 'form body' },
    })
    expect(res.status).toBe(201)
    expect((await raw(project, 'x.txt', 'main')).text).toBe('form')
  })
})

describe('PUT /projects/:id/repository/files/:file_path', () => {
  it('updates a file in a new commit whose parent is the old head', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'one')
    const before = (await head(project)).body
    const res = await apiJson('PUT', filePath(project, 'a.txt'), { token: project.owner.token, body: { branch: 'main', content: 'two', commit_message: 'Update a' } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ file_path: 'a.txt', branch: 'main' })
    const after = (await head(project)).body
    expect(after.parent_ids).toEqual([before.id])
    expect(after.title).toBe('Update a')
    expect((await raw(project, 'a.txt', 'main')).text).toBe('two')
    expect((await raw(project, 'a.txt', before.id)).text).toBe('one')
  })

  it('refuses to update a file that does not exist', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'one')
    const res = await apiJson('PUT', filePath(project, 'b.txt'), { token: project.owner.token, body: { branch: 'main', content: 'x', commit_message: 'm' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ message: "A file with this name doesn't exist" })
    const empty = await createProject()
    const none = await apiJson('PUT', filePath(empty, 'b.txt'), { token: empty.owner.token, body: { branch: 'main', content: 'x', commit_message: 'm' } })
    expect(none.status).toBe(400)
    expect(none.body).toEqual({ message: "A file with this name doesn't exist" })
  })

  it('refuses a stale last_commit_id', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'one')
    const res = await apiJson('PUT', filePath(project, 'a.txt'), {
      token: project.owner.token,
      body: { branch: 'main', content: 'x', commit_message: 'm', last_commit_id: '0'.repeat(40) },
    })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ message: 'You are attempting to update a file that has changed since you started editing it.' })
  })

  it('is forbidden to reporters', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'one')
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    const res = await apiJson('PUT', filePath(project, 'a.txt'), { token: reporter.token, body: { branch: 'main', content: 'x', commit_message: 'm' } })
    expect(res.status).toBe(403)
  })
})

describe('GET /projects/:id/repository/commits/:sha', () => {
  it('shows a commit by sha and by branch with GitLab\'s Commit fields', async () => {
    const project = await createProject()
    await apiJson('POST', filePath(project, '.gitlab-ci.yml'), {
      token: project.owner.token,
      body: { branch: 'main', content: 'a: {}', commit_message: 'Add CI\n\nWith a body line.' },
    })
    const byBranch = await head(project)
    expect(byBranch.status).toBe(200)
    const commit = byBranch.body
    expect(commit.id).toMatch(/^[0-9a-f]{40}$/)
    expect(commit).toMatchObject({
      short_id: commit.id.slice(0, 8),
      parent_ids: [],
      title: 'Add CI',
      message: 'Add CI\n\nWith a body line.',
      author_name: `User ${project.owner.username}`,
      author_email: `${project.owner.username}@example.com`,
      committer_name: `User ${project.owner.username}`,
      committer_email: `${project.owner.username}@example.com`,
      trailers: {},
      extended_trailers: {},
      web_url: `${EXTERNAL}/${project.path_with_namespace}/-/commit/${commit.id}`,
      project_id: project.id,
    })
    for (const field of ['created_at', 'authored_date', 'committed_date']) expect(commit[field]).toMatch(COMMIT_DATE)
    expect(commit.created_at).toBe(commit.committed_date)
    expect(Math.abs(Date.parse(commit.committed_date) - Date.now())).toBeLessThan(60_000)

    const bySha = await apiJson('GET', `/projects/${project.id}/repository/commits/${commit.id}`, { token: project.owner.token })
    expect(bySha.body).toEqual(commit)
  })

  it('chains parent_ids across commits', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', '1')
    const first = (await head(project)).body
    await commitFile(project, 'a.txt', '2', 'main', 'PUT')
    const second = (await head(project)).body
    await commitFile(project, 'b.txt', '3')
    const third = (await head(project)).body
    expect(new Set([first.id, second.id, third.id]).size).toBe(3)
    expect(second.parent_ids).toEqual([first.id])
    expect(third.parent_ids).toEqual([second.id])
  })

  it('takes author_name and author_email; the committer stays the caller', async () => {
    const project = await createProject()
    await apiJson('POST', filePath(project, 'a.txt'), {
      token: project.owner.token,
      body: { branch: 'main', content: 'x', commit_message: 'm', author_name: 'Ada', author_email: 'ada@example.org' },
    })
    const commit = (await head(project)).body
    expect(commit).toMatchObject({ author_name: 'Ada', author_email: 'ada@example.org', committer_name: `User ${project.owner.username}` })
  })

  it('answers 404 Commit Not Found for unknown shas and branches', async () => {
    const project = await createProject()
    for (const sha of ['0'.repeat(40), 'nope', 'feature%2Fnone']) {
      const res = await apiJson('GET', `/projects/${project.id}/repository/commits/${sha}`, { token: project.owner.token })
      expect(res.status, sha).toBe(404)
      expect(res.body).toEqual({ message: '404 Commit Not Found' })
    }
  })

  it('needs read_code: reporters yes, guests of private projects no', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', '1')
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    expect((await head(project, 'main', reporter.token)).status).toBe(200)
    const guest = await createUser()
    await addMember(project, guest, 10)
    const res = await head(project, 'main', guest.token)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ message: '403 Forbidden' })
  })

  it('follows project visibility for strangers and anonymous callers', async () => {
    const stranger = await createUser()
    const cases: Array<['private' | 'internal' | 'public', number, number]> = [
      ['private', 404, 404],
      ['internal', 200, 404],
      ['public', 200, 200],
    ]
    for (const [visibility, signedIn, anonymous] of cases) {
      const project = await createProject({ visibility })
      await commitFile(project, 'a.txt', '1')
      expect((await head(project, 'main', stranger.token)).status, visibility).toBe(signedIn)
      const res = await head(project, 'main', null)
      expect(res.status, visibility).toBe(anonymous)
      if (anonymous === 404) expect(res.body).toEqual({ message: '404 Project Not Found' })
    }
  })

  it('answers 401 for expired and revoked tokens', async () => {
    const project = await createProject({ visibility: 'public' })
    for (const how of ['expired', 'revoked'] as const) {
      expect((await head(project, 'main', await deadToken(project.owner, how))).status).toBe(401)
    }
  })
})

describe('GET /projects/:id/repository/files/:file_path/raw', () => {
  it('reads a file at a branch, a sha, or the default branch', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'v1')
    const first = (await head(project)).body.id
    await commitFile(project, 'a.txt', 'v2', 'main', 'PUT')
    expect((await raw(project, 'a.txt')).text).toBe('v2')
    expect((await raw(project, 'a.txt', 'main')).text).toBe('v2')
    expect((await raw(project, 'a.txt', first)).text).toBe('v1')
  })

  it('accepts a leading slash in the path', async () => {
    const project = await createProject()
    await commitFile(project, 'dir/a.txt', 'x')
    expect((await raw(project, '/dir/a.txt', 'main')).text).toBe('x')
  })

  it('answers 404 File Not Found, 404 Commit Not Found, and 400 for a blank ref', async () => {
    const project = await createProject()
    const emptyRepo = await apiJson('GET', `${filePath(project, 'a.txt')}/raw`, { token: project.owner.token })
    expect(emptyRepo.status).toBe(404)
    expect(emptyRepo.body).toEqual({ message: '404 Commit Not Found' })
    await commitFile(project, 'a.txt', 'x')
    const noFile = await apiJson('GET', `${filePath(project, 'b.txt')}/raw?ref=main`, { token: project.owner.token })
    expect(noFile.status).toBe(404)
    expect(noFile.body).toEqual({ message: '404 File Not Found' })
    const noRef = await apiJson('GET', `${filePath(project, 'a.txt')}/raw?ref=nope`, { token: project.owner.token })
    expect(noRef.status).toBe(404)
    expect(noRef.body).toEqual({ message: '404 Commit Not Found' })
    const blank = await apiJson('GET', `${filePath(project, 'a.txt')}/raw?ref=`, { token: project.owner.token })
    expect(blank.status).toBe(400)
    expect(blank.body).toEqual({ error: 'ref is empty' })
    const traversal = await apiJson('GET', `${filePath(project, '../a.txt')}/raw`, { token: project.owner.token })
    expect(traversal.status).toBe(400)
    expect(traversal.body).toEqual({ error: 'file_path should be a valid file path' })
  })

  it('follows read_code and visibility', async () => {
    const secret = await createProject()
    await commitFile(secret, 'a.txt', 'x')
    const guest = await createUser()
    await addMember(secret, guest, 10)
    expect((await raw(secret, 'a.txt', 'main', guest.token)).status).toBe(403)
    expect((await raw(secret, 'a.txt', 'main', null)).status).toBe(404)
    const stranger = await createUser()
    expect((await raw(secret, 'a.txt', 'main', stranger.token)).status).toBe(404)
    const open = await createProject({ visibility: 'public' })
    await commitFile(open, 'a.txt', 'pub')
    expect((await raw(open, 'a.txt', 'main', null)).text).toBe('pub')
    expect((await raw(open, 'a.txt', 'main', await deadToken(open.owner, 'revoked'))).status).toBe(401)
  })
})

describe('internal projects and odd input', () => {
  it('internal: signed-in strangers read but may not push; anonymous callers see nothing', async () => {
    const project = await createProject({ visibility: 'internal' })
    await commitFile(project, 'a.txt', 'inside')
    const stranger = await createUser()
    const body = { branch: 'main', content: 'x', commit_message: 'm' }
    const push = await apiJson('POST', filePath(project, 'b.txt'), { token: stranger.token, body })
    expect(push.status).toBe(403)
    expect((await raw(project, 'a.txt', 'main', stranger.token)).text).toBe('inside')
    const anonymousPush = await apiJson('POST', filePath(project, 'b.txt'), { token: null, body })
    expect(anonymousPush.status).toBe(404)
    expect(anonymousPush.body).toEqual({ message: '404 Project Not Found' })
    const anonymousRead = await apiJson('GET', `${filePath(project, 'a.txt')}/raw`, { token: null })
    expect(anonymousRead.status).toBe(404)
    expect(anonymousRead.body).toEqual({ message: '404 Project Not Found' })
  })

  it.each([
    ['GET', '/repository/commits/%'],
    ['GET', `/repository/commits/${'f'.repeat(400)}`],
    ['GET', '/repository/commits/%E0%A4%A'],
    ['GET', '/repository/files/%/raw'],
    ['GET', `/repository/files/${'a'.repeat(2000)}/raw?ref=${'b'.repeat(2000)}`],
    ['GET', '/repository/files/a.txt/raw?ref[]=main'],
    ['GET', '/repository/files/a.txt/raw?ref[x]=main'],
    ['POST', '/repository/files/%00'],
    ['PUT', '/repository/files/%E0%A4%A'],
  ])('%s <project>%s answers below 500', async (method, suffix) => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'x')
    const res = await api(method, `/projects/${project.id}${suffix}`, {
      token: project.owner.token,
      body: method === 'GET' ? undefined : { branch: 'main', content: 'x', commit_message: 'm' },
    })
    expect(res.status).toBeLessThan(500)
  })

  it('keeps content byte for byte, unicode and NUL included', async () => {
    const project = await createProject()
    const content = 'naïve ☃ \u0000 end\r\n'
    await commitFile(project, 'u.txt', content)
    expect((await raw(project, 'u.txt', 'main')).text).toBe(content)
  })
})
