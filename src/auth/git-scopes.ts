/**
 * What a personal access token's scopes allow over git (Gitlab::Auth#abilities_for_scopes):
 * `api` and `write_repository` read and push, `read_api` and `read_repository` read; any other
 * scope set authenticates but allows neither.
 */
export interface GitAbilities {
  download: boolean
  push: boolean
}

export function gitAbilities(scopes: string[]): GitAbilities {
  const has = (scope: string) => scopes.includes(scope)
  return {
    download: has('api') || has('read_api') || has('read_repository') || has('write_repository'),
    push: has('api') || has('write_repository'),
  }
}
