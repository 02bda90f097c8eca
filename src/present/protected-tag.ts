import type { ProtectedTagRow } from '../db/protected-tags'
import { accessLevel } from './protected-branch'

/** GitLab's Entities::ProtectedTag (CE): the name and its one create access level. */
export function protectedTag(row: ProtectedTagRow) {
  return { name: row.name, create_access_levels: [accessLevel(row.id, row.create_access_level)] }
}
