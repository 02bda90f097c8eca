import { describe, expect, it } from 'vitest'
import { can, canEraseJob, canReadProject, type ProjectAbility, type ProjectAccess, type Visibility } from '../../src/auth/policy'

// GitLab's role table (gitlab-behavior.md §1.5). Each row lists the answer for the six project
// kinds, in this order: private+public_jobs, private, internal+public_jobs, internal,
// public+public_jobs, public.
const KINDS: Array<[Visibility, boolean]> = [
  ['private', true], ['private', false],
  ['internal', true], ['internal', false],
  ['public', true], ['public', false],
]

const ROLES = {
  anonymous: { accessLevel: 0, authenticated: false, isAdmin: false },
  non_member: { accessLevel: 0, authenticated: true, isAdmin: false },
  guest: { accessLevel: 10, authenticated: true, isAdmin: false },
  reporter: { accessLevel: 20, authenticated: true, isAdmin: false },
  developer: { accessLevel: 30, authenticated: true, isAdmin: false },
  maintainer: { accessLevel: 40, authenticated: true, isAdmin: false },
  owner: { accessLevel: 50, authenticated: true, isAdmin: false },
  admin: { accessLevel: 0, authenticated: true, isAdmin: true },
} as const
type Role = keyof typeof ROLES

function access(role: Role, visibility: Visibility, publicJobs: boolean): ProjectAccess {
  return { visibility, publicJobs, ...ROLES[role] }
}

/** Expands a table of 'Y'/'-' strings into test rows. */
function rows(table: Record<Role, string>): Array<[Role, Visibility, boolean, boolean]> {
  const out: Array<[Role, Visibility, boolean, boolean]> = []
  for (const [role, answers] of Object.entries(table) as Array<[Role, string]>) {
    expect(answers).toHaveLength(6)
    KINDS.forEach(([visibility, publicJobs], i) => out.push([role, visibility, publicJobs, answers[i] === 'Y']))
  }
  return out
}

const ALL = 'YYYYYY'
const NONE = '------'

describe('project visibility (read_project)', () => {
  it.each(rows({
    anonymous: '----YY',
    non_member: '--YYYY',
    guest: ALL, reporter: ALL, developer: ALL, maintainer: ALL, owner: ALL, admin: ALL,
  }))('%s on %s (public_jobs=%s) → %s', (role, visibility, publicJobs, expected) => {
    expect(canReadProject(access(role, visibility, publicJobs))).toBe(expected)
    expect(can(access(role, visibility, publicJobs), 'read_project')).toBe(expected)
  })
})

const TABLES: Record<string, { ability: ProjectAbility; table: Record<Role, string> }> = {
  // Reporter+ always; below that only while public_jobs ("public_builds") is on.
  read_build: {
    ability: 'read_build',
    table: {
      anonymous: '----Y-',
      non_member: '--Y-Y-',
      guest: 'Y-Y-Y-',
      reporter: ALL, developer: ALL, maintainer: ALL, owner: ALL, admin: ALL,
    },
  },
  // Public projects show pipelines to everyone, internal ones to every signed-in user; guests of
  // private projects only with public_jobs.
  read_pipeline: {
    ability: 'read_pipeline',
    table: {
      anonymous: '----YY',
      non_member: '--YYYY',
      guest: 'Y-YYYY',
      reporter: ALL, developer: ALL, maintainer: ALL, owner: ALL, admin: ALL,
    },
  },
  cancel_build: {
    ability: 'cancel_build',
    table: {
      anonymous: NONE, non_member: NONE, guest: NONE, reporter: NONE,
      developer: ALL, maintainer: ALL, owner: ALL, admin: ALL,
    },
  },
  force_cancel_build: {
    ability: 'force_cancel_build',
    table: {
      anonymous: NONE, non_member: NONE, guest: NONE, reporter: NONE, developer: NONE,
      maintainer: ALL, owner: ALL, admin: ALL,
    },
  },
}

for (const [name, { ability, table }] of Object.entries(TABLES)) {
  describe(name, () => {
    it.each(rows(table))('%s on %s (public_jobs=%s) → %s', (role, visibility, publicJobs, expected) => {
      expect(can(access(role, visibility, publicJobs), ability)).toBe(expected)
    })
  })
}

describe('erase_build', () => {
  const me = 7
  const someoneElse = 8

  it.each(rows({
    anonymous: NONE, non_member: NONE, guest: NONE, reporter: NONE,
    developer: ALL, maintainer: ALL, owner: ALL, admin: ALL,
  }))('%s on %s (public_jobs=%s) may erase a job they started → %s', (role, visibility, publicJobs, expected) => {
    const userId = role === 'anonymous' ? undefined : me
    expect(canEraseJob(access(role, visibility, publicJobs), userId, me)).toBe(expected)
  })

  it.each(rows({
    anonymous: NONE, non_member: NONE, guest: NONE, reporter: NONE, developer: NONE,
    maintainer: ALL, owner: ALL, admin: ALL,
  }))('%s on %s (public_jobs=%s) may erase someone else\'s job → %s', (role, visibility, publicJobs, expected) => {
    const userId = role === 'anonymous' ? undefined : me
    expect(canEraseJob(access(role, visibility, publicJobs), userId, someoneElse)).toBe(expected)
  })

  it('a developer may not erase a job without a user', () => {
    expect(canEraseJob(access('developer', 'private', true), me, null)).toBe(false)
  })
})

describe('project settings and members', () => {
  it.each([
    ['admin_project', { developer: false, maintainer: true, owner: true }],
    ['admin_project_member', { developer: false, maintainer: true, owner: true }],
    ['rename_project', { developer: false, maintainer: false, owner: true }],
    ['change_visibility_level', { developer: false, maintainer: false, owner: true }],
    ['manage_owners', { developer: false, maintainer: false, owner: true }],
    ['push_code', { developer: true, maintainer: true, owner: true }],
  ] as const)('%s', (ability, expected) => {
    for (const [role, allowed] of Object.entries(expected)) {
      expect(can(access(role as Role, 'private', true), ability), role).toBe(allowed)
    }
    expect(can(access('reporter', 'private', true), ability)).toBe(false)
    expect(can(access('admin', 'private', true), ability)).toBe(true)
  })

  it('read_code: reporters of private projects, anyone who sees an internal or public one', () => {
    expect(can(access('guest', 'private', true), 'read_code')).toBe(false)
    expect(can(access('reporter', 'private', false), 'read_code')).toBe(true)
    expect(can(access('non_member', 'internal', false), 'read_code')).toBe(true)
    expect(can(access('anonymous', 'internal', false), 'read_code')).toBe(false)
    expect(can(access('anonymous', 'public', false), 'read_code')).toBe(true)
  })
})
