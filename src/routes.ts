import { Router } from 'itty-router'
import { benchRoutes } from './bench/routes'
import * as applicationSettings from './api/application-settings'
import * as artifacts from './api/artifacts'
import * as environments from './api/environments'
import * as jobToken from './api/job-token'
import * as runnerJobs from './api/runner-jobs'
import * as runners from './api/runners'
import * as jobCommands from './api/job-commands'
import * as jobs from './api/jobs'
import * as pipelineJobs from './api/pipeline-jobs'
import * as pipelines from './api/pipelines'
import * as projects from './api/projects'
import * as repository from './api/repository'
import * as resourceGroups from './api/resource-groups'
import * as trace from './api/trace'
import * as users from './api/users'

/** The route table: one line per endpoint, grouped as GitLab's API docs group them. */
export const router = Router({ base: '/api/v4' })
router.all('/-/bench/*', benchRoutes) // benchmark baselines: 404 unless BENCH_ROUTES is '1'

router
  // Users and tokens
  .get('/user', users.currentUser)
  .post('/users', users.createUser)
  .get('/users/:id', users.showUser)
  .post('/users/:user_id/personal_access_tokens', users.createPersonalAccessToken)
  .delete('/personal_access_tokens/:token_id', users.revokePersonalAccessToken)
  // Projects and members
  .post('/projects', projects.createProject)
  .get('/projects/:id', projects.showProject)
  .put('/projects/:id', projects.updateProjectSettings)
  .post('/projects/:id/members', projects.addMember)
  .get('/projects/:id/members/all', projects.listAllMembers)
  // Repository
  .post('/projects/:id/repository/files/:file_path', repository.createFile)
  .put('/projects/:id/repository/files/:file_path', repository.updateFile)
  .get('/projects/:id/repository/files/:file_path/raw', repository.rawFile)
  .get('/projects/:id/repository/commits', repository.listCommits)
  .get('/projects/:id/repository/commits/:sha', repository.showCommit)
  .get('/projects/:id/repository/branches', repository.listBranches)
  .get('/projects/:id/repository/branches/:branch', repository.showBranch)
  .get('/projects/:id/repository/tree', repository.tree)
  // Pipelines
  .post('/projects/:id/pipeline', pipelines.create)
  .get('/projects/:id/pipelines', pipelines.list)
  .get('/projects/:id/pipelines/:pipeline_id', pipelines.show)
  .get('/projects/:id/pipelines/:pipeline_id/jobs', pipelineJobs.jobs)
  .get('/projects/:id/pipelines/:pipeline_id/bridges', pipelineJobs.bridges)
  // Environments and deployments
  .get('/projects/:id/environments', environments.listEnvironments)
  .post('/projects/:id/environments', environments.createEnvironment)
  .get('/projects/:id/environments/:environment_id', environments.showEnvironment)
  .put('/projects/:id/environments/:environment_id', environments.updateEnvironment)
  .delete('/projects/:id/environments/:environment_id', environments.deleteEnvironment)
  .post('/projects/:id/environments/:environment_id/stop', environments.stop)
  .get('/projects/:id/deployments', environments.listDeployments)
  .get('/projects/:id/deployments/:deployment_id', environments.showDeployment)
  // Resource groups
  .get('/projects/:id/resource_groups', resourceGroups.list)
  .get('/projects/:id/resource_groups/:key', resourceGroups.show)
  .put('/projects/:id/resource_groups/:key', resourceGroups.update)
  .get('/projects/:id/resource_groups/:key/upcoming_jobs', resourceGroups.upcomingJobs)
  // Jobs
  .get('/projects/:id/jobs', jobs.list)
  .get('/projects/:id/jobs/:job_id', jobs.show)
  .get('/projects/:id/jobs/:job_id/trace', trace.trace)
  .post('/projects/:id/jobs/:job_id/cancel', jobCommands.cancel)
  .post('/projects/:id/jobs/:job_id/retry', jobCommands.retry)
  .post('/projects/:id/jobs/:job_id/erase', jobCommands.erase)
  .post('/projects/:id/jobs/:job_id/play', jobCommands.play)
  // Runners
  .post('/user/runners', runners.createUserRunner)
  .post('/runners', runners.register)
  .delete('/runners', runners.unregister)
  .post('/runners/verify', runners.verify)
  .post('/runners/reset_authentication_token', runners.resetAuthenticationToken)
  .delete('/runners/managers', runners.unregisterManager)
  .post('/projects/:id/runners/reset_registration_token', runners.resetRegistrationToken)
  // Runner jobs
  .post('/jobs/request', runnerJobs.requestJob)
  .put('/jobs/:id', runnerJobs.updateJob)
  .patch('/jobs/:id/trace', runnerJobs.patchTrace)
  // Job token
  .get('/job', jobToken.currentJob)
  .get('/job/allowed_agents', jobToken.allowedAgents)
  .post('/projects/:id/cluster_agents', jobToken.createClusterAgent)
  // Artifacts
  .post('/jobs/:id/artifacts', artifacts.upload)
  .get('/jobs/:id/artifacts', artifacts.downloadForRunner)
  .get('/projects/:id/jobs/:job_id/artifacts', artifacts.download)
  .get('/projects/:id/jobs/:job_id/artifacts/:artifact_path+', artifacts.downloadEntry)
  .delete('/projects/:id/jobs/:job_id/artifacts', artifacts.destroy)
  .post('/projects/:id/jobs/:job_id/artifacts/keep', artifacts.keep)
  // Application settings (the runner-facing limits)
  .get('/application/settings', applicationSettings.show)
  .put('/application/settings', applicationSettings.update)
