import { JOB_TOKEN_PREFIX } from './tokens'

/**
 * Where GitLab reads credentials from (lib/gitlab/auth/auth_finders.rb): a personal access token
 * in `PRIVATE-TOKEN`, `private_token` or `Authorization: Bearer`; a CI job token, on routes that
 * allow it, in `JOB-TOKEN`, `job_token`/`token` params or `Authorization: Bearer`.
 */
export type Credential =
  | { kind: 'personal'; token: string }
  | { kind: 'job'; token: string }
  | { kind: 'none' }

export function extractCredential(request: Request, params: Record<string, unknown>, jobTokenAllowed: boolean): Credential {
  const headers = request.headers
  const privateToken = headers.get('PRIVATE-TOKEN') ?? stringParam(params.private_token)
  if (privateToken) return { kind: 'personal', token: privateToken }
  const bearer = bearerToken(headers.get('Authorization'))
  if (jobTokenAllowed) {
    const jobToken = headers.get('JOB-TOKEN') ?? stringParam(params.job_token) ?? stringParam(params.token)
    if (jobToken) return { kind: 'job', token: jobToken }
    if (bearer?.startsWith(JOB_TOKEN_PREFIX)) return { kind: 'job', token: bearer }
  }
  if (bearer) return { kind: 'personal', token: bearer }
  return { kind: 'none' }
}

function bearerToken(header: string | null): string | undefined {
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
