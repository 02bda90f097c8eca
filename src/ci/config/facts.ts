/**
 * What a pipeline is for, as `only`/`except`, `rules:changes`, `rules:exists` and includes see
 * it. Everything but the repository answers comes from the predefined variables, so a context
 * of variables alone describes an ordinary pipeline.
 */
export interface PipelineFacts {
  /** CI_PIPELINE_SOURCE: push, web, api, schedule, trigger, pipeline, parent_pipeline, merge_request_event, ... */
  source: string
  /** the short ref (branch or tag name) */
  ref: string
  tag: boolean
  /** the project's full path (`group/project`) */
  projectPath: string
  /** the paths the push or merge request changed; null when there is no diff (new branch, tag, API, web, ...) */
  modifiedPaths: string[] | null
  /** every file path of the pipeline's commit (for `rules:exists`) */
  files: string[]
}

export function factsFromVariables(variables: Record<string, string>, extra: Partial<PipelineFacts> = {}): PipelineFacts {
  return {
    source: variables.CI_PIPELINE_SOURCE ?? 'push',
    ref: variables.CI_COMMIT_REF_NAME ?? variables.CI_COMMIT_TAG ?? variables.CI_COMMIT_BRANCH ?? '',
    tag: variables.CI_COMMIT_TAG !== undefined,
    projectPath: variables.CI_PROJECT_PATH ?? '',
    modifiedPaths: null,
    files: [],
    ...extra,
  }
}

/** Pipeline#merge_request?; a pipeline is for a branch when it is neither a tag nor a merge request. */
export function isMergeRequest(facts: PipelineFacts): boolean {
  return facts.source === 'merge_request_event' || facts.source === 'external_pull_request_event'
}
