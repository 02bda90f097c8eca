import type { Variable } from '../ci/types'
import type { ProjectRow } from '../db/projects'

/** The CI_* variables known when a pipeline is created (rules:if sees these). */
export function pipelineVariables(args: {
  project: ProjectRow
  externalUrl: string
  ref: string
  tag: boolean
  sha: string
  source: string
  pipelineId?: number
  pipelineIid?: number
}): Variable[] {
  const { project, externalUrl, ref, sha } = args
  const url = new URL(externalUrl)
  const vars: Array<[string, string]> = [
    ['CI', 'true'],
    ['GITLAB_CI', 'true'],
    ['CI_SERVER_URL', externalUrl],
    ['CI_SERVER_HOST', url.hostname],
    ['CI_SERVER_PORT', url.port || (url.protocol === 'https:' ? '443' : '80')],
    ['CI_SERVER_PROTOCOL', url.protocol.replace(':', '')],
    ['CI_SERVER_NAME', 'GitLab'],
    ['CI_API_V4_URL', `${externalUrl}/api/v4`],
    ['CI_PROJECT_ID', String(project.id)],
    ['CI_PROJECT_NAME', project.path],
    ['CI_PROJECT_TITLE', project.name],
    ['CI_PROJECT_PATH', project.full_path],
    ['CI_PROJECT_PATH_SLUG', slug(project.full_path)],
    ['CI_PROJECT_NAMESPACE', project.namespace_path],
    ['CI_PROJECT_ROOT_NAMESPACE', project.namespace_path.split('/')[0]],
    ['CI_PROJECT_URL', `${externalUrl}/${project.full_path}`],
    ['CI_PROJECT_VISIBILITY', project.visibility],
    ['CI_DEFAULT_BRANCH', project.default_branch ?? 'main'],
    ['CI_PIPELINE_SOURCE', args.source],
    ['CI_COMMIT_SHA', sha],
    ['CI_COMMIT_SHORT_SHA', sha.slice(0, 8)],
    ['CI_COMMIT_REF_NAME', ref],
    ['CI_COMMIT_REF_SLUG', slug(ref)],
    [args.tag ? 'CI_COMMIT_TAG' : 'CI_COMMIT_BRANCH', ref],
    ['CI_CONFIG_PATH', project.ci_config_path ?? '.gitlab-ci.yml'],
  ]
  if (args.pipelineId !== undefined) {
    vars.push(['CI_PIPELINE_ID', String(args.pipelineId)])
    vars.push(['CI_PIPELINE_URL', `${externalUrl}/${project.full_path}/-/pipelines/${args.pipelineId}`])
  }
  // A pipeline made by a trigger token (Ci::Pipeline#trigger_id; not by a CI_JOB_TOKEN).
  if (args.source === 'trigger') vars.push(['CI_PIPELINE_TRIGGERED', 'true'])
  if (args.pipelineIid !== undefined) vars.push(['CI_PIPELINE_IID', String(args.pipelineIid)])
  return vars.map(([key, value]) => ({ key, value, public: true, masked: false }))
}

/** GitLab's `slugify`: lowercase, non-alphanumerics → '-', at most 63 chars, no edge dashes. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '-').slice(0, 63).replace(/^-+|-+$/g, '')
}
