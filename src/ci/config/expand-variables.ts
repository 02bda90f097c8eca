/**
 * ExpandVariables: `$VAR` and `${VAR}` in a string. `expand` drops unknown variables (""), as
 * includes do; `expandExisting` keeps them as written, as `rules:changes`/`exists` globs and
 * `$[[ inputs.x | expand_vars ]]` do. Source: gitlabhq lib/expand_variables.rb.
 */

const REFERENCE = /\$(?:\{(\w+)\}|(\w+))|%(\w+)%/g

export function expandVariables(text: string, variables: Record<string, string>): string {
  return text.replace(REFERENCE, (whole, braced?: string, bare?: string, percent?: string) => {
    const name = braced ?? bare ?? percent!
    return Object.hasOwn(variables, name) ? variables[name] : percent ? whole : ''
  })
}

export function expandExisting(text: string, variables: Record<string, string>): string {
  return text.replace(REFERENCE, (whole, braced?: string, bare?: string, percent?: string) => {
    const name = braced ?? bare ?? percent!
    return Object.hasOwn(variables, name) ? variables[name] : whole
  })
}
