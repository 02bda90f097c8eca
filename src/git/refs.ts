/** git check-ref-format rules for a full ref name (`refs/heads/x`, `refs/tags/v1`). */
export function isValidRefName(name: string): boolean {
  if (!name.startsWith('refs/') || name.length > 1024) return false
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|\/$|\.$|\.lock(\/|$)|(^|\/)\./.test(name)) return false
  return name.split('/').length >= 3
}

/** A branch name valid as `refs/heads/<name>` (Gitlab::GitRefValidator). */
export function isValidBranchName(name: string): boolean {
  if (name === '' || name === 'HEAD' || name === '@' || name.startsWith('-') || name.startsWith('refs/')) return false
  return isValidRefName(`refs/heads/${name}`)
}
