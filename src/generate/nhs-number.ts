// NHS numbers: 10 digits, the last a modulus-11 check digit. Generated numbers start with 999,
// the range used for test data and never issued to real patients.
import { Rng } from './prng.js'

/** The check digit for the first 9 digits, or undefined when they have none (remainder gives 10). */
export function nhsCheckDigit(first9: string): number | undefined {
  if (!/^\d{9}$/.test(first9)) throw new Error(`expected 9 digits, got ${JSON.stringify(first9)}`)
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i)
  const check = 11 - (sum % 11)
  if (check === 11) return 0
  if (check === 10) return undefined
  return check
}

/** True when `value` is 10 digits whose last digit is the modulus-11 check digit of the others. */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false
  return nhsCheckDigit(value.slice(0, 9)) === Number(value[9])
}

const SPACE = 1_000_000 // six free digits after the 999 prefix

/**
 * Unique, valid NHS numbers in a seeded order: candidate j is 999 followed by
 * (a·j + b) mod 10^6 (a bijection, as a is coprime to 10^6); candidates without
 * a check digit are skipped. The i-th number depends only on the seed and i.
 */
export class NhsNumbers {
  private readonly a: number
  private readonly b: number
  private j = 0

  constructor(seed: number) {
    const rng = new Rng(seed)
    let a = rng.int(100_001, 999_999)
    while (a % 2 === 0 || a % 5 === 0) a++
    this.a = a
    this.b = rng.int(0, SPACE - 1)
  }

  next(): string {
    while (this.j < SPACE) {
      const body = (((this.a * this.j++) % SPACE) + this.b) % SPACE // a·j < 2^53: exact
      const first9 = `999${String(body).padStart(6, '0')}`
      const check = nhsCheckDigit(first9)
      if (check !== undefined) return first9 + check
    }
    throw new Error('ran out of test-range NHS numbers (about 909,000 are available)')
  }
}

/** How many patients one seed can number. */
export const MAX_NHS_NUMBERS = 900_000
