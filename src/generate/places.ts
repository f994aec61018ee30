// Where synthetic patients live: postcode districts of Trafford and Manchester with their post
// towns and localities, street names, and phone numbers from Ofcom's ranges reserved for drama
// (07700 900000-900999, 0161 496 0000-0999), which are never allocated to real lines.
import type { Address, ContactPoint } from '@medplum/fhirtypes'
import type { Rng } from './prng.js'

export type Borough = 'Trafford' | 'Manchester'

interface District {
  postTown: string
  localities: string[]
}

const DISTRICTS: Record<string, District> = {
  // Trafford
  M16: { postTown: 'Manchester', localities: ['Old Trafford', 'Whalley Range', 'Firswood'] },
  M31: { postTown: 'Manchester', localities: ['Partington', 'Carrington'] },
  M32: { postTown: 'Manchester', localities: ['Stretford', 'Gorse Hill'] },
  M33: { postTown: 'Sale', localities: ['Sale', 'Sale Moor', 'Ashton upon Mersey', 'Brooklands'] },
  M41: { postTown: 'Manchester', localities: ['Urmston', 'Davyhulme', 'Flixton'] },
  WA14: { postTown: 'Altrincham', localities: ['Altrincham', 'Broadheath', 'West Timperley', 'Bowdon'] },
  WA15: { postTown: 'Altrincham', localities: ['Timperley', 'Hale', 'Hale Barns'] },
  // Manchester
  M1: { postTown: 'Manchester', localities: ['City Centre'] },
  M4: { postTown: 'Manchester', localities: ['Ancoats', 'Northern Quarter'] },
  M8: { postTown: 'Manchester', localities: ['Cheetham Hill', 'Crumpsall'] },
  M9: { postTown: 'Manchester', localities: ['Blackley', 'Harpurhey'] },
  M11: { postTown: 'Manchester', localities: ['Clayton', 'Beswick', 'Openshaw'] },
  M12: { postTown: 'Manchester', localities: ['Longsight', 'West Gorton'] },
  M13: { postTown: 'Manchester', localities: ['Ardwick', 'Longsight', 'Victoria Park'] },
  M14: { postTown: 'Manchester', localities: ['Fallowfield', 'Rusholme', 'Moss Side'] },
  M15: { postTown: 'Manchester', localities: ['Hulme'] },
  M18: { postTown: 'Manchester', localities: ['Gorton', 'Abbey Hey'] },
  M19: { postTown: 'Manchester', localities: ['Levenshulme', 'Burnage'] },
  M20: { postTown: 'Manchester', localities: ['Withington', 'Didsbury'] },
  M21: { postTown: 'Manchester', localities: ['Chorlton-cum-Hardy'] },
  M22: { postTown: 'Manchester', localities: ['Wythenshawe', 'Northenden', 'Benchill'] },
  M23: { postTown: 'Manchester', localities: ['Baguley', 'Brooklands', 'Northern Moor'] },
  M40: { postTown: 'Manchester', localities: ['Newton Heath', 'Moston', 'Collyhurst'] },
}

const STREETS = `Church Road|Station Road|Park Road|Victoria Road|Manchester Road|Chester Road|Moss Lane|Green Lane|Mill Lane|
Kings Road|Queens Road|Oak Avenue|Beech Avenue|Cross Street|Albert Road|Derbyshire Road|Flixton Road|Stockport Road|
Wilmslow Road|Princess Road|Mauldeth Road|Barlow Moor Road|Hyde Road|Ashton Old Road|Oldham Road|Rochdale Road|
Washway Road|Northenden Road|Stamford Road|Ashley Road|Moorside Road|Bury Old Road|Slade Lane|Burton Road|Palatine Road|
Kingsway|Hall Lane|Grove Lane|Woodlands Road|Cherry Tree Avenue|Hawthorn Road|Brook Street|New Street|Springfield Road|
Belgrave Road|Westwood Avenue|Poplar Grove|Elm Grove|Fir Tree Close|Lime Tree Walk|Coronation Street|Railway Terrace|
Canal Street|Bridgewater Way|Navigation Road|Hope Road|Alexandra Road|Egerton Road|Seymour Grove|Talbot Road`
  .split('|')
  .map((s) => s.trim())

const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'

/** The outward code (district) of a postcode: "WA15 7XR" → "WA15". */
export function postcodeDistrict(postcode: string): string {
  return postcode.trim().split(/\s+/)[0].toUpperCase()
}

/** A syntactically valid postcode in the district (the inward part is random, not checked against Royal Mail). */
export function randomPostcode(rng: Rng, district: string): string {
  return `${district} ${rng.int(0, 9)}${rng.pick([...UNIT_LETTERS])}${rng.pick([...UNIT_LETTERS])}`
}

export function homeAddress(rng: Rng, district: string, borough: Borough): Address {
  const place = DISTRICTS[district] ?? { postTown: 'Manchester', localities: [] }
  const street = `${rng.int(1, 240)} ${rng.pick(STREETS)}`
  const line = rng.chance(0.15) ? [`Flat ${rng.int(1, 40)}`, street] : [street]
  if (place.localities.length && rng.chance(0.8)) line.push(rng.pick(place.localities))
  return {
    use: 'home',
    type: 'both',
    line,
    city: place.postTown,
    district: borough,
    postalCode: randomPostcode(rng, district),
    country: 'GB',
  }
}

export function mobileNumber(rng: Rng): string {
  return `07700 900${String(rng.int(0, 999)).padStart(3, '0')}`
}

export function landlineNumber(rng: Rng): string {
  return `0161 496 0${String(rng.int(0, 999)).padStart(3, '0')}`
}

export function phones(rng: Rng, adult: boolean): ContactPoint[] {
  const telecom: ContactPoint[] = []
  if (adult ? rng.chance(0.9) : rng.chance(0.1)) telecom.push({ system: 'phone', value: mobileNumber(rng), use: 'mobile' })
  if (rng.chance(adult ? 0.35 : 0.6)) telecom.push({ system: 'phone', value: landlineNumber(rng), use: 'home' })
  return telecom
}
