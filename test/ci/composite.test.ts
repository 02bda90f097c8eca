import { describe, expect, it } from 'vitest'
import { compositeStatus, compositeToken, type CompositeItem } from '../../src/ci/composite'
import type { JobStatus } from '../../src/ci/statuses'

/** A job as the composite sees it; `!` marks allow_failure (`'failed!'`). */
const jobs = (...specs: string[]): CompositeItem[] =>
  specs.map((spec) => ({ status: spec.replace('!', '') as JobStatus, allowFailure: spec.endsWith('!') }))

// state-machine.md §5, rule by rule. [rule, jobs, dag, status, warnings]
const RULES: Array<[string, string[], boolean, JobStatus | null, boolean]> = [
  ['empty set → nil', [], false, null, false],
  ['empty set in DAG mode → nil', [], true, null, false],
  ['1 DAG: a skipped need → skipped', ['success', 'skipped'], true, 'skipped', false],
  ['1 DAG: a non-blocking manual need → skipped', ['success', 'manual!'], true, 'skipped', false],
  ['1 DAG: skipped wins over running', ['running', 'skipped'], true, 'skipped', false],
  ['1 not DAG: success + skipped stays success', ['success', 'skipped'], false, 'success', false],
  ['2 only skipped', ['skipped', 'skipped'], false, 'skipped', false],
  ['2 only ignored (non-blocking manual)', ['manual!'], false, 'skipped', false],
  ['2 skipped + ignored', ['skipped', 'manual!'], false, 'skipped', false],
  ['3 only success', ['success'], false, 'success', false],
  ['3 success + skipped + ignored', ['success', 'skipped', 'manual!'], false, 'success', false],
  ['3 allowed failure alone → success with warnings', ['failed!'], false, 'success', true],
  ['3 allowed cancel counts as warning', ['success', 'canceled!'], false, 'success', true],
  ['3 DAG: success + allowed failure', ['success', 'failed!'], true, 'success', true],
  ['4 only created', ['created', 'created'], false, 'created', false],
  ['4 created + ignored + swr', ['created', 'manual!', 'failed!'], false, 'created', true],
  ['5 only preparing', ['preparing'], false, 'preparing', false],
  ['5 preparing + swr', ['preparing', 'failed!'], false, 'preparing', true],
  ['6 only canceled', ['canceled'], false, 'canceled', false],
  ['6 canceled + success + skipped', ['canceled', 'success', 'skipped'], false, 'canceled', false],
  ['7 only pending', ['pending'], false, 'pending', false],
  ['7 pending + created + skipped', ['pending', 'created', 'skipped'], false, 'pending', false],
  ['8 running alone', ['running'], false, 'running', false],
  ['8 pending + success', ['pending', 'success'], false, 'running', false],
  ['8 running beats failed', ['running', 'failed'], false, 'running', false],
  ['8 running beats manual', ['running', 'manual'], false, 'running', false],
  ['9 waiting_for_resource', ['waiting_for_resource', 'success'], false, 'waiting_for_resource', false],
  ['10 waiting_for_callback', ['waiting_for_callback', 'success'], false, 'waiting_for_callback', false],
  ['11 blocking manual blocks', ['manual', 'success'], false, 'manual', false],
  ['11 blocking manual beats failed', ['manual', 'failed'], false, 'manual', false],
  ['11 manual beats scheduled', ['manual', 'scheduled'], false, 'manual', false],
  ['12 scheduled', ['scheduled', 'success'], false, 'scheduled', false],
  ['12 scheduled alone', ['scheduled'], false, 'scheduled', false],
  ['13 preparing with success', ['preparing', 'success'], false, 'preparing', false],
  ['13 preparing beats created', ['preparing', 'created'], false, 'preparing', false],
  ['14 created + success → running', ['created', 'success'], false, 'running', false],
  ['14 created + failed → running', ['created', 'failed'], false, 'running', false],
  ['15 canceling', ['canceling', 'success'], false, 'canceling', false],
  ['15 canceling beats failed', ['canceling', 'failed'], false, 'canceling', false],
  ['16 failed', ['failed'], false, 'failed', false],
  ['16 failed + success', ['failed', 'success'], false, 'failed', false],
  ['16 failed + canceled', ['failed', 'canceled'], false, 'failed', false],
  ['16 failed with warnings elsewhere', ['failed', 'failed!'], false, 'failed', true],
  ['16 DAG: failed need', ['failed', 'success'], true, 'failed', false],
  ['16 DAG: canceled need', ['canceled'], true, 'canceled', false],
]

describe('compositeStatus (Gitlab::Ci::Status::Composite)', () => {
  it.each(RULES)('%s', (_rule, specs, dag, status, warnings) => {
    expect(compositeStatus(jobs(...specs), { dag })).toEqual({ status, warnings })
  })

  it('counts a blocking manual job (allow_failure false) as manual', () => {
    expect(compositeStatus(jobs('success', 'manual')).status).toBe('manual')
  })

  it('ignores a non-blocking manual job (allow_failure true)', () => {
    expect(compositeStatus(jobs('success', 'manual!')).status).toBe('success')
  })

  it('fails on a failed job without allow_failure', () => {
    expect(compositeStatus(jobs('success', 'failed'))).toEqual({ status: 'failed', warnings: false })
  })
})

describe('compositeToken', () => {
  it.each<[string, string]>([
    ['failed!', 'success_with_warnings'],
    ['canceled!', 'success_with_warnings'],
    ['manual!', 'ignored'],
    ['success!', 'success'],
    ['skipped!', 'skipped'],
    ['failed', 'failed'],
    ['manual', 'manual'],
  ])('%s → %s', (spec, token) => {
    expect(compositeToken(jobs(spec)[0])).toBe(token)
  })
})
