/**
 * RunnerRegistrationDetails (lib/api/entities/ci/runner_registration_details.rb) and
 * ResetTokenResult: the token is shown once, here, and never stored in clear.
 * Runner tokens never expire in edgejobs, so `token_expires_at` is always null.
 */
export function runnerRegistrationDetails(runner: { id: number }, token: string) {
  return { id: runner.id, token, token_expires_at: null }
}

export function resetTokenResult(token: string) {
  return { token, token_expires_at: null }
}
