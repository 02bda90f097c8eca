import type { Env } from '../env'
import { branchIsProtected } from '../db/protected-branches'
import type { ProjectRow } from '../db/projects'
import type { UserRow } from '../db/users'
import { ZERO_OID } from '../git/oid'
import type { PushHookInput } from '../db/hook-data'
import { hooksFor, pushPayload as buildPayload, queueHookEvents } from '../hooks/fan-out'
import { branchPasses } from '../hooks/rules'
import type { RefUpdate } from '../objects/RepoObject'
import { repoObject } from '../objects/stubs'
import { commitRow } from './repository'

/**
 * Git::BranchPushService / Git::TagPushService → execute_hooks: each pushed branch gives the
 * project's push hooks (their branch filter permitting) a Push Hook, each pushed tag the tag push
 * hooks a Tag Push Hook. A push changing more than `push_event_hooks_limit` (3) branches, or
 * tags, gives that kind none. The commits are the newest 20 the push brought, oldest first, with
 * their changed files; `total_commits_count` counts them all (up to 100 here).
 */
export const PUSH_EVENT_HOOKS_LIMIT = 3
const COMMITS_LIMIT = 20
const COUNT_LIMIT = 100

export async function firePushHooks(env: Env, project: ProjectRow, user: UserRow, updates: RefUpdate[], now: number): Promise<void> {
  const branches = updates.filter((u) => u.ref.startsWith('refs/heads/'))
  const tags = updates.filter((u) => u.ref.startsWith('refs/tags/'))
  if (branches.length > 0 && branches.length <= PUSH_EVENT_HOOKS_LIMIT) {
    const hooks = await hooksFor(env, project.id, 'push_events')
    for (const update of branches) {
      const branch = update.ref.slice('refs/heads/'.length)
      const listening = hooks.filter((hook) => branchPasses(hook, branch))
      if (listening.length === 0) continue
      const payload = await pushPayload(env, project, user, update, await branchIsProtected(env.DB, project.id, branch))
      await queueHookEvents(env, listening, 'push_hooks', payload, now)
    }
  }
  if (tags.length > 0 && tags.length <= PUSH_EVENT_HOOKS_LIMIT) {
    const hooks = await hooksFor(env, project.id, 'tag_push_events')
    if (hooks.length === 0) return
    for (const update of tags) await queueHookEvents(env, hooks, 'tag_push_hooks', await pushPayload(env, project, user, update, false), now)
  }
}

async function pushPayload(env: Env, project: ProjectRow, user: UserRow, update: RefUpdate, refProtected: boolean) {
  const input: PushHookInput = {
    project, user, before: update.before, after: update.after, ref: update.ref, checkoutSha: null, message: null, refProtected, commits: [], totalCommitsCount: 0,
  }
  if (update.after === ZERO_OID) return buildPayload(env, input) // a deleted ref: no checkout_sha
  const repo = repoObject(env, project.id)
  const target = await repo.commitAt(update.after)
  input.checkoutSha = target?.id ?? null
  if (update.ref.startsWith('refs/heads/')) {
    // commits_between(oldrev, newrev); a new branch: what the default branch does not have.
    const branch = update.ref.slice('refs/heads/'.length)
    const exclude = update.before !== ZERO_OID ? update.before : project.default_branch && project.default_branch !== branch ? `refs/heads/${project.default_branch}` : null
    const pushed = await repo.pushedCommits(exclude, update.after, COMMITS_LIMIT, COUNT_LIMIT)
    input.totalCommitsCount = pushed.total
    input.commits = pushed.commits.map(({ view, added, modified, removed }) => ({ commit: commitRow(project.id, view), added, modified, removed }))
  }
  return buildPayload(env, input)
}

/** TestHooks::ProjectService#push_events_data: the default branch's last three commits. */
export async function samplePushPayload(env: Env, project: ProjectRow, user: UserRow): Promise<unknown | null> {
  if (!project.default_branch) return null
  const repo = repoObject(env, project.id)
  const pushed = await repo.pushedCommits(null, `refs/heads/${project.default_branch}`, 3, 3)
  if (pushed.commits.length === 0) return null
  const commits = pushed.commits.map(({ view, added, modified, removed }) => ({ commit: commitRow(project.id, view), added, modified, removed }))
  return buildPayload(env, {
    project, user, before: commits[0]!.commit.sha, after: commits[commits.length - 1]!.commit.sha, ref: `refs/heads/${project.default_branch}`,
    checkoutSha: commits[commits.length - 1]!.commit.sha, message: null, refProtected: await branchIsProtected(env.DB, project.id, project.default_branch),
    commits, totalCommitsCount: commits.length,
  })
}
