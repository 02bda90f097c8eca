import { describe, expect, it } from 'vitest'
import { parsePushOptions } from '../../src/services/push-pipelines'

describe('push options (Gitlab::PushOptions)', () => {
  it('reads ci.skip and ci.variable, ignoring malformed variables and unknown options', () => {
    expect(parsePushOptions(['ci.skip'])).toEqual({ skip: true, variables: [] })
    expect(parsePushOptions(['ci.variable=A=1', 'ci.variable=B=', 'ci.variable==123', 'ci.variable=C', 'merge_request.create', 'foo.bar=baz'])).toEqual({
      skip: false,
      variables: [
        { key: 'A', value: '1', variable_type: 'env_var' },
        { key: 'B', value: '', variable_type: 'env_var' },
      ],
    })
    expect(parsePushOptions(['ci.variable=URL=http://x/?a=b'])).toEqual({ skip: false, variables: [{ key: 'URL', value: 'http://x/?a=b', variable_type: 'env_var' }] })
  })
})
