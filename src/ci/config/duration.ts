/**
 * Durations the way GitLab reads `start_in`, `timeout` and `artifacts:expire_in`: ChronicDuration
 * with `raise_exceptions` on, so an unknown word makes the whole text invalid ("7 elephants").
 * Source: henrypoydar/chronic_duration lib/chronic_duration.rb (units, `cleanup`, `filter_by_type`),
 * gitlabhq lib/gitlab/config/entry/legacy_validation_helpers.rb (`validate_duration`).
 */

const MINUTE = 60
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The `start_in` limit ('1 week'). */
export const START_IN_LIMIT = 7 * DAY
/** Project::MAX_BUILD_TIMEOUT is Rails' `1.month`, 30.436875 days. */
export const MAX_BUILD_TIMEOUT = 2_629_746

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  seconds: 1,
  minutes: MINUTE,
  hours: HOUR,
  days: DAY,
  weeks: 7 * DAY,
  months: 30 * DAY,
  years: 31_557_600,
}

const UNIT_WORDS: Readonly<Record<string, string>> = {
  ...wordsFor('seconds', ['seconds', 'second', 'secs', 'sec', 's']),
  ...wordsFor('minutes', ['minutes', 'minute', 'mins', 'min', 'm']),
  ...wordsFor('hours', ['hours', 'hour', 'hrs', 'hr', 'h']),
  ...wordsFor('days', ['days', 'day', 'dy', 'd']),
  ...wordsFor('weeks', ['weeks', 'week', 'wks', 'wk', 'w']),
  ...wordsFor('months', ['months', 'month', 'mos', 'mo']),
  ...wordsFor('years', ['years', 'year', 'yrs', 'yr', 'y']),
}

const JOIN_WORDS = new Set(['and', 'with', 'plus'])

// Numerizer turns spelled-out numbers into digits before ChronicDuration reads the text.
const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60,
}

const NUMBER = /[0-9]*\.?[0-9]+/
const CHRONO = /^[0-9]*\.?[0-9]+(:[0-9]*\.?[0-9]+)+$/
// `filter_by_type` reads "h:m:s" right to left; weeks have no place there.
const CHRONO_UNITS = ['seconds', 'minutes', 'hours', 'days', 'months', 'years']

function wordsFor(unit: string, words: string[]): Record<string, string> {
  return Object.fromEntries(words.map((word) => [word, unit]))
}

/**
 * Seconds in `text` ("1 hour", "1h 30m", "2 days", "3600", "1:30:00"), or null when GitLab
 * would say "should be a duration" (unknown words, nothing, or zero). "never" is not a duration:
 * callers that accept it check for it first.
 */
export function parseDuration(text: string): number | null {
  const words = durationWords(text)
  if (words === null) return null
  let seconds = 0
  words.forEach((word, index) => {
    if (!NUMBER.test(word)) return
    const unit = words[index + 1] ?? 'seconds'
    seconds += Number(word) * (UNIT_SECONDS[unit] ?? 0)
  })
  return seconds > 0 ? seconds : null
}

/** The text as numbers and canonical unit names, or null when a word is not understood. */
function durationWords(text: string): string[] | null {
  let cleaned: string | null = numerize(text.toLowerCase())
  const compact = cleaned.replaceAll(' ', '')
  if (CHRONO.test(compact)) cleaned = expandChrono(compact)
  if (cleaned === null) return null
  const spaced = cleaned.replace(new RegExp(NUMBER.source, 'g'), (number) => ` ${number} `)
  const words: string[] = []
  for (const raw of spaced.split(/\s+/).filter(Boolean)) {
    if (/^[0-9]*\.?[0-9]+$/.test(raw)) {
      words.push(raw)
      continue
    }
    const word = raw.replace(/^,/, '').replace(/,$/, '')
    if (word in UNIT_WORDS) words.push(UNIT_WORDS[word])
    else if (!JOIN_WORDS.has(word) && word !== '') return null
  }
  // "day" or "minute 30sec" start with a unit: ChronicDuration reads a leading 1.
  if (words.length > 0 && words[0] in UNIT_SECONDS) words.unshift('1')
  return words
}

function numerize(text: string): string {
  return text.replace(/[a-z]+/g, (word) => (word in NUMBER_WORDS ? String(NUMBER_WORDS[word]) : word))
}

function expandChrono(text: string): string | null {
  const parts = text.split(':').reverse()
  if (parts.length > CHRONO_UNITS.length) return null
  return parts
    .map((part, index) => `${part} ${CHRONO_UNITS[index]}`)
    .reverse()
    .join(' ')
}
