import { ApiError } from '../http/errors'

/**
 * An `artifacts:reports:dotenv` file, read as Ci::ParseDotenvArtifactService does
 * (app/services/ci/parse_dotenv_artifact_service.rb, app/models/concerns/ci/has_variable.rb):
 * the stored (gzip) file must be smaller than the plan's `dotenv_size` (5 KiB); every line is
 * `KEY=VALUE` (`/^(.*?)=(.*)$/`, both sides stripped, so blank lines and comments are invalid);
 * a later line wins a key; keys are letters, digits and `_`, at most 255 characters; at most
 * `dotenv_variables` (20) variables. Every failure is a 400 and stores nothing.
 */
export const DOTENV_SIZE_LIMIT = 5 * 1024
export const DOTENV_VARIABLES_LIMIT = 20

export interface DotenvVariable {
  key: string
  value: string
}

function invalid(message: string): ApiError {
  return ApiError.withMessage(400, message)
}

export function dotenvTooBig(): ApiError {
  return invalid(`Dotenv Artifact Too Big. Maximum Allowable Size: ${DOTENV_SIZE_LIMIT}`)
}

/** Gunzips the stored report (each gzip member in turn, as GzipStream does). */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))
    return new Uint8Array(await new Response(stream).arrayBuffer())
  } catch {
    throw invalid('Invalid Format')
  }
}

export async function parseDotenvReport(stored: Uint8Array): Promise<DotenvVariable[]> {
  if (stored.byteLength >= DOTENV_SIZE_LIMIT) throw dotenvTooBig()
  const blob = await gunzip(stored)
  // encode_utf8_with_replacement_character, then strip_bom.
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(blob)
  const variables = new Map<string, string>()
  for (const line of eachLine(text)) {
    const match = /^(.*?)=(.*)$/m.exec(line)
    if (!match) throw invalid('Invalid Format')
    variables.set(rubyStrip(match[1]), rubyStrip(match[2]))
  }
  for (const key of variables.keys()) {
    const errors = keyErrors(key)
    if (errors.length > 0) throw invalid(`Validation failed: ${errors.join(', ')}`)
  }
  if (variables.size > DOTENV_VARIABLES_LIMIT) throw invalid(`Dotenv files cannot have more than ${DOTENV_VARIABLES_LIMIT} variables`)
  return [...variables].map(([key, value]) => ({ key, value }))
}

/** Ruby's String#each_line: pieces ending in "\n" (kept), the last without. */
function eachLine(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? []
  return lines
}

/** Ruby's String#strip: leading and trailing whitespace and NUL. */
function rubyStrip(value: string): string {
  return value.replace(/^[\s\0]+|[\s\0]+$/g, '')
}

/** Ci::HasVariable's key validations, in their order. */
function keyErrors(key: string): string[] {
  const errors: string[] = []
  if (key === '') errors.push("Key can't be blank")
  if (key.length > 255) errors.push('Key is too long (maximum is 255 characters)')
  if (!/^[a-zA-Z0-9_]+$/.test(key)) errors.push("Key can contain only letters, digits and '_'.")
  return errors
}
