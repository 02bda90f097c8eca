import type { UserRow } from '../db/users'
import { isoTime } from './time'

/** UserBasic (lib/api/entities/user_basic.rb): id, username, name, state, locked, avatar_url, web_url. */
export function userBasic(user: UserRow, externalUrl: string) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    locked: user.state === 'blocked',
    avatar_url: null,
    web_url: `${externalUrl}/${user.username}`,
  }
}

/** User (lib/api/entities/user.rb): UserBasic plus the profile fields (empty where we keep none). */
export function user(row: UserRow, externalUrl: string) {
  return {
    ...userBasic(row, externalUrl),
    created_at: isoTime(row.created_at),
    bio: '',
    location: '',
    public_email: null,
    skype: '',
    linkedin: '',
    twitter: '',
    discord: '',
    website_url: '',
    organization: '',
    job_title: '',
    pronouns: null,
    bot: false,
    work_information: null,
    followers: 0,
    following: 0,
    local_time: null,
  }
}

/** UserDetailsWithAdmin subset returned by GET /user and the admin user endpoints. */
export function userWithAdmin(row: UserRow, externalUrl: string) {
  return { ...user(row, externalUrl), email: row.email, is_admin: row.is_admin === 1 }
}
