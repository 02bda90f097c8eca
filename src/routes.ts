import { Router } from 'itty-router'
import * as applicationSettings from './api/application-settings'
import * as artifacts from './api/artifacts'
import * as refArtifacts from './api/ref-artifacts'
import * as ciLint from './api/ci-lint'
import * as environments from './api/environments'
import * as jobToken from './api/job-token'
import * as runnerJobs from './api/runner-jobs'
import * as runners from './api/runners'
import * as runnerAdmin from './api/runner-admin'
import * as jobCommands from './api/job-commands'
import * as jobs from './api/jobs'
import * as pipelineCommands from './api/pipeline-commands'
import * as pipelineJobs from './api/pipeline-jobs'
import * as pipelines from './api/pipelines'
import * as projectHooks from './api/project-hooks'
import * as projects from './api/projects'
import * as protectedBranches from './api/protected-branches'
import * as protectedTags from './api/protected-tags'
import * as instanceVariables from './api/instance-variables'
import * as variables from './api/variables'
import * as repository from './api/repository'
import * as resourceGroups from './api/resource-groups'
import * as testReports from './api/test-reports'
import * as trace from './api/trace'
import * as triggers from './api/triggers'
import * as users from './api/users'
import * as version from './api/version'
import * as projectList from './api/project-list'
import { RouteTable } from './api/route-table'
import { accepts } from './auth/route-auth'
import { ENDPOINT_SCOPES } from './auth/scopes'
import * as bench from './bench/routes'
import * as web from './web/log-viewer'
import { gitRoute } from './api/git-http'

/**
 * The route table: every path the Worker answers, one line per endpoint, grouped as GitLab's API
 * docs group them, each with the credentials it accepts (GitLab's `route_setting
 * :authentication`; src/auth/route-auth.ts) and, where its endpoint class registers more, the
 * personal-token scopes. Every API route also answers HEAD as GET and OPTIONS with `Allow`
 * (src/http/methods.ts); anything else is 404 `{"message":"404 Not found"}`.
 */
const personal = accepts('personal')
const personalOrJob = accepts('personal', 'job')
const publicRead = accepts('personal', 'anonymous')
/** No authentication (the trigger API: its `token` param is checked by the handler). */
const anonymous = accepts('anonymous')
const publicReadOrJob = accepts('personal', 'job', 'anonymous')
/** The runner's calls for its job: the job token only, refusals 403 (authenticate_job!). */
const jobToken_ = accepts('job')
const runnerToken = accepts('runner')
const users_ = accepts('personal', { scopes: ENDPOINT_SCOPES.users })
const usersList = accepts('personal', 'anonymous', { scopes: ENDPOINT_SCOPES.users })
const files = accepts('personal', 'anonymous', { scopes: ENDPOINT_SCOPES.files })

export const api = new RouteTable('/api/v4')
  // Version and metadata
  .get('/version', users_, version.metadata)
  .get('/metadata', users_, version.metadata)
  // Users and tokens
  .get('/user', users_, users.currentUser)
  .get('/users', usersList, users.listUsers)
  .post('/users', users_, users.createUser)
  .get('/users/:id', users_, users.showUser)
  .post('/users/:user_id/personal_access_tokens', users_, users.createPersonalAccessToken)
  .delete('/personal_access_tokens/:token_id', personal, users.revokePersonalAccessToken)
  // Projects and members
  .get('/projects', publicRead, projectList.listProjects)
  .post('/projects', personal, projects.createProject)
  .get('/projects/:id', publicRead, projects.showProject)
  .put('/projects/:id', personal, projects.updateProjectSettings)
  .delete('/projects/:id', personal, projects.destroyProject)
  .post('/projects/:id/members', personal, projects.addMember)
  .get('/projects/:id/members/all', personal, projects.listAllMembers)
  // Repository
  .post('/projects/:id/repository/files/:file_path', files, repository.createFile)
  .put('/projects/:id/repository/files/:file_path', files, repository.updateFile)
  .get('/projects/:id/repository/files/:file_path/raw', files, repository.rawFile)
  .get('/projects/:id/repository/commits', publicRead, repository.listCommits)
  .get('/projects/:id/repository/commits/:sha', publicRead, repository.showCommit)
  .get('/projects/:id/repository/branches', publicRead, repository.listBranches)
  .get('/projects/:id/repository/branches/:branch', publicRead, repository.showBranch)
  .get('/projects/:id/repository/tree', publicRead, repository.tree)
  // Protected branches
  .get('/projects/:id/protected_branches', personal, protectedBranches.listProtectedBranches)
  .post('/projects/:id/protected_branches', personal, protectedBranches.protectBranch)
  .get('/projects/:id/protected_branches/:name', personal, protectedBranches.showProtectedBranch)
  .patch('/projects/:id/protected_branches/:name', personal, protectedBranches.updateProtectedBranch)
  .delete('/projects/:id/protected_branches/:name', personal, protectedBranches.unprotectBranch)
  // Protected tags
  .get('/projects/:id/protected_tags', personal, protectedTags.listProtectedTags)
  .post('/projects/:id/protected_tags', personal, protectedTags.protectTag)
  .get('/projects/:id/protected_tags/:name', personal, protectedTags.showProtectedTag)
  .delete('/projects/:id/protected_tags/:name', personal, protectedTags.unprotectTag)
  // CI/CD variables (project and instance)
  .get('/projects/:id/variables', personal, variables.listProjectVariables)
  .post('/projects/:id/variables', personal, variables.createProjectVariable)
  .get('/projects/:id/variables/:key', personal, variables.showProjectVariable)
  .put('/projects/:id/variables/:key', personal, variables.updateProjectVariable)
  .delete('/projects/:id/variables/:key', personal, variables.deleteProjectVariable)
  .get('/admin/ci/variables', personal, instanceVariables.listInstanceVariables)
  .post('/admin/ci/variables', personal, instanceVariables.createInstanceVariable)
  .get('/admin/ci/variables/:key', personal, instanceVariables.showInstanceVariable)
  .put('/admin/ci/variables/:key', personal, instanceVariables.updateInstanceVariable)
  .delete('/admin/ci/variables/:key', personal, instanceVariables.deleteInstanceVariable)
  // Pipelines
  .post('/projects/:id/pipeline', personal, pipelines.create)
  .get('/projects/:id/pipelines', publicReadOrJob, pipelines.list)
  .get('/projects/:id/pipelines/latest', publicRead, pipelines.latest) // before :pipeline_id
  .get('/projects/:id/pipelines/:pipeline_id', publicReadOrJob, pipelines.show)
  .delete('/projects/:id/pipelines/:pipeline_id', personal, pipelineCommands.destroy)
  .post('/projects/:id/pipelines/:pipeline_id/retry', personal, pipelineCommands.retry)
  .post('/projects/:id/pipelines/:pipeline_id/cancel', personal, pipelineCommands.cancel)
  .get('/projects/:id/pipelines/:pipeline_id/variables', publicRead, pipelines.variables)
  .get('/projects/:id/pipelines/:pipeline_id/test_report', publicRead, testReports.show)
  .get('/projects/:id/pipelines/:pipeline_id/test_report_summary', publicRead, testReports.summary)
  .get('/projects/:id/pipelines/:pipeline_id/jobs', publicReadOrJob, pipelineJobs.jobs)
  .get('/projects/:id/pipelines/:pipeline_id/bridges', publicReadOrJob, pipelineJobs.bridges)
  // CI Lint
  .post('/projects/:id/ci/lint', publicRead, ciLint.lintContent)
  .get('/projects/:id/ci/lint', publicRead, ciLint.lintProjectConfig)
  // Pipeline triggers (the trigger call's credential is its `token` param)
  .get('/projects/:id/triggers', personal, triggers.list)
  .post('/projects/:id/triggers', personal, triggers.create)
  .get('/projects/:id/triggers/:trigger_id', personal, triggers.show)
  .put('/projects/:id/triggers/:trigger_id', personal, triggers.update)
  .delete('/projects/:id/triggers/:trigger_id', personal, triggers.destroy)
  .post('/projects/:id/trigger/pipeline', anonymous, triggers.triggerPipelineHandler)
  .post('/projects/:id/ref/:ref+/trigger/pipeline', anonymous, triggers.triggerPipelineHandler)
  // Environments and deployments
  .get('/projects/:id/environments', publicReadOrJob, environments.listEnvironments)
  .post('/projects/:id/environments', personal, environments.createEnvironment)
  .get('/projects/:id/environments/:environment_id', publicReadOrJob, environments.showEnvironment)
  .put('/projects/:id/environments/:environment_id', personal, environments.updateEnvironment)
  .delete('/projects/:id/environments/:environment_id', personal, environments.deleteEnvironment)
  .post('/projects/:id/environments/:environment_id/stop', personal, environments.stop)
  .get('/projects/:id/deployments', publicReadOrJob, environments.listDeployments)
  .get('/projects/:id/deployments/:deployment_id', publicReadOrJob, environments.showDeployment)
  // Project webhooks
  .get('/projects/:id/hooks', personal, projectHooks.list)
  .post('/projects/:id/hooks', personal, projectHooks.create)
  .get('/projects/:id/hooks/:hook_id', personal, projectHooks.show)
  .put('/projects/:id/hooks/:hook_id', personal, projectHooks.update)
  .delete('/projects/:id/hooks/:hook_id', personal, projectHooks.destroy)
  .get('/projects/:id/hooks/:hook_id/events', personal, projectHooks.events)
  .post('/projects/:id/hooks/:hook_id/events/:hook_log_id/resend', personal, projectHooks.resend)
  .post('/projects/:id/hooks/:hook_id/test/:trigger', personal, projectHooks.test)
  // Resource groups
  .get('/projects/:id/resource_groups', personal, resourceGroups.list)
  .get('/projects/:id/resource_groups/:key', personal, resourceGroups.show)
  .put('/projects/:id/resource_groups/:key', personal, resourceGroups.update)
  .get('/projects/:id/resource_groups/:key/upcoming_jobs', personal, resourceGroups.upcomingJobs)
  // Artifacts of a ref's job (before /jobs/:job_id/…, which would take `artifacts` for a job id)
  .get('/projects/:id/jobs/artifacts/:ref_name+/download', publicReadOrJob, refArtifacts.downloadForRef)
  .get('/projects/:id/jobs/artifacts/:ref_name+/raw/:artifact_path+', publicReadOrJob, refArtifacts.rawForRef)
  // Jobs
  .get('/projects/:id/jobs', personalOrJob, jobs.list)
  .get('/projects/:id/jobs/:job_id', personal, jobs.show)
  .get('/projects/:id/jobs/:job_id/trace', personal, trace.trace)
  .post('/projects/:id/jobs/:job_id/cancel', personal, jobCommands.cancel)
  .post('/projects/:id/jobs/:job_id/retry', personal, jobCommands.retry)
  .post('/projects/:id/jobs/:job_id/erase', personal, jobCommands.erase)
  .post('/projects/:id/jobs/:job_id/play', personal, jobCommands.play)
  // Runners
  .post('/user/runners', accepts('personal', { scopes: ENDPOINT_SCOPES.userRunners }), runners.createUserRunner)
  .post('/runners', runnerToken, runners.register)
  .delete('/runners', runnerToken, runners.unregister)
  .post('/runners/verify', runnerToken, runners.verify)
  .post('/runners/reset_authentication_token', runnerToken, runners.resetAuthenticationToken)
  .delete('/runners/managers', runnerToken, runners.unregisterManager)
  .post('/projects/:id/runners/reset_registration_token', personal, runners.resetRegistrationToken)
  // Runners API for users (after /runners/managers and /runners/verify, before /runners/:id)
  .get('/runners', personal, runnerAdmin.listOwned)
  .get('/runners/all', personal, runnerAdmin.listAll)
  .get('/runners/:id', personal, runnerAdmin.show)
  .put('/runners/:id', personal, runnerAdmin.update)
  .delete('/runners/:id', personal, runnerAdmin.destroy)
  .get('/runners/:id/jobs', personal, runnerAdmin.jobs)
  .get('/runners/:id/managers', personal, runnerAdmin.managers)
  .post('/runners/:id/reset_authentication_token', personal, runnerAdmin.resetToken)
  .get('/projects/:id/runners', personal, runnerAdmin.listForProject)
  // Runner jobs
  .post('/jobs/request', runnerToken, runnerJobs.requestJob)
  .put('/jobs/:id', jobToken_, runnerJobs.updateJob)
  .patch('/jobs/:id/trace', jobToken_, runnerJobs.patchTrace)
  // Job token
  .get('/job', personalOrJob, jobToken.currentJob)
  .get('/job/allowed_agents', personalOrJob, jobToken.allowedAgents)
  .post('/projects/:id/cluster_agents', personal, jobToken.createClusterAgent)
  // Artifacts
  .post('/jobs/:id/artifacts', jobToken_, artifacts.upload)
  .get('/jobs/:id/artifacts', jobToken_, artifacts.downloadForRunner)
  .get('/projects/:id/jobs/:job_id/artifacts', publicReadOrJob, artifacts.download)
  .get('/projects/:id/jobs/:job_id/artifacts/:artifact_path+', publicReadOrJob, artifacts.downloadEntry)
  .delete('/projects/:id/jobs/:job_id/artifacts', personalOrJob, artifacts.destroy)
  .post('/projects/:id/jobs/:job_id/artifacts/keep', personalOrJob, artifacts.keep)
  // Application settings (the runner-facing limits)
  .get('/application/settings', personal, applicationSettings.show)
  .put('/application/settings', personal, applicationSettings.update)

/** The API's router (itty), for dispatch, OPTIONS and the fuzz suite. */
export const router = api.router

/**
 * Git over smart HTTP (any method, before everything else): `/<project path>(.git)/info/refs`,
 * `/git-upload-pack`, `/git-receive-pack`. Its authentication is git's (HTTP Basic with a token as
 * password, `gitlab-ci-token:<job token>`, anonymous on public projects) and is declared here the
 * same way: personal or job token, anonymous allowed, and no API scope rule — a token
 * authenticates whatever its scopes and git checks its own abilities (src/auth/git-scopes.ts).
 */
export const git = Router().all('*', gitRoute(accepts('personal', 'job', 'anonymous', { scopes: null })))

/**
 * The pages at GitLab's web URLs (anonymous; the page's script calls the API with a token typed
 * in) and the benchmark's baselines (404 unless BENCH_ROUTES=1). Answered for GET and HEAD.
 */
export const pages = Router()
  .get('/-/edgejobs/:asset', web.asset) // the log viewer's script and style
  .get('*', web.jobPage) // /<project path>/-/jobs/:job_id — the log viewer (src/web/log-viewer.ts)
  .get('/api/v4/-/bench/empty', bench.only, bench.empty)
  .get('/api/v4/-/bench/query', bench.only, bench.query)
  .get('/api/v4/-/bench/page', bench.only, bench.page)
  .get('/api/v4/-/bench/object', bench.only, bench.object)
