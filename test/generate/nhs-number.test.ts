// NHS numbers: modulus-11 check digit (NHS Data Dictionary), generated numbers valid, unique, in the 999 test range.
import t from 'tap'
import { isValidNhsNumber, NhsNumbers, nhsCheckDigit } from '../../src/generate/nhs-number.js'

t.test('the checker accepts valid numbers and rejects invalid ones', async (t) => {
  t.ok(isValidNhsNumber('9434765919'), 'the NHS Digital example number 943 476 5919')
  t.notOk(isValidNhsNumber('9434765918'), 'wrong check digit')
  t.notOk(isValidNhsNumber('943476591'), 'nine digits')
  t.notOk(isValidNhsNumber('94347659190'), 'eleven digits')
  t.notOk(isValidNhsNumber('943 476 5919'), 'spaces')
  t.notOk(isValidNhsNumber('94347659x9'), 'not a digit')
  t.equal(nhsCheckDigit('943476591'), 9)
  // A remainder of 0 gives check digit 11 → 0.
  t.equal(nhsCheckDigit('000000000'), 0)
  t.ok(isValidNhsNumber('0000000000'))
})

t.test('first nine digits whose check digit would be 10 have no valid number', async (t) => {
  let found: string | undefined
  for (let i = 0; i < 1000 && !found; i++) {
    const first9 = `99900${String(i).padStart(4, '0')}`
    if (nhsCheckDigit(first9) === undefined) found = first9
  }
  t.ok(found, 'such prefixes exist')
  for (let d = 0; d <= 9; d++) t.notOk(isValidNhsNumber(`${found}${d}`), `${found}${d}`)
  t.throws(() => nhsCheckDigit('12345678'), /9 digits/)
})

t.test('generated numbers pass modulus 11, are unique and in the 999 test range', async (t) => {
  const source = new NhsNumbers(12345)
  const seen = new Set<string>()
  for (let i = 0; i < 20_000; i++) {
    const n = source.next()
    if (!isValidNhsNumber(n) || !n.startsWith('999') || seen.has(n)) t.fail(`bad or repeated number ${n}`)
    seen.add(n)
  }
  t.equal(seen.size, 20_000)
  const again = new NhsNumbers(12345)
  const other = new NhsNumbers(54321)
  t.equal(again.next(), new NhsNumbers(12345).next(), 'same seed, same sequence')
  t.not(other.next(), new NhsNumbers(12345).next(), 'another seed, another sequence')
})
