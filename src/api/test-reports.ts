import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { pipelineReportArtifactsStatement, type ReportArtifactRow } from '../db/artifacts'
import { pipelineViewStatement, type PipelineViewRow } from '../db/pipeline-views'
import { ApiError } from '../http/errors'
import { Int, Str } from '../http/param-types'
import { json } from '../http/response'
import { testReport, testReportSummary } from '../present/test-report'
import { pipelineTestReports } from '../services/test-reports'
import type { ApiContext } from './context'

/**
 * GET /projects/:id/pipelines/:pipeline_id/test_report and /test_report_summary
 * (lib/api/ci/pipelines.rb; authorize! :read_build). Built from the latest builds' junit
 * reports; the pipeline, its report artifacts and the caller come in one D1 round trip.
 */
const Params = v.looseObject({ id: Str, pipeline_id: Int })

async function load(c: ApiContext) {
  const params = await c.valid(Params)
  const ctx = await loadProject<[PipelineViewRow, ReportArtifactRow]>(c, params.id, (project) => [
    pipelineViewStatement(c.env.DB, params.pipeline_id, project),
    pipelineReportArtifactsStatement(c.env.DB, params.pipeline_id, 'junit'),
  ])
  const view = ctx.results[0].results[0]
  if (!view) throw ApiError.notFound()
  authorize(ctx.access, 'read_build')
  return { view, reports: await pipelineTestReports(c.env, ctx.results[1].results) }
}

export async function show(c: ApiContext): Promise<Response> {
  const { view, reports } = await load(c)
  return json(testReport(reports.report, { externalUrl: c.externalUrl, projectFullPath: view.project_full_path }))
}

export async function summary(c: ApiContext): Promise<Response> {
  const { reports } = await load(c)
  return json(testReportSummary(reports.builds))
}
