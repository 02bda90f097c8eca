import { Router } from 'itty-router'
import * as projects from './api/projects'
import * as repository from './api/repository'
import * as users from './api/users'

/** The route table: one line per endpoint, grouped as GitLab's API docs group them. */
export const router = Router({ base: '/api/v4' })

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
  .get('/projects/:id/repository/commits/:sha', repository.showCommit)
