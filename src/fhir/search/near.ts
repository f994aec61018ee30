// Location?near=[latitude]|[longitude]|[distance]|[units] (R4 search.html#special and the
// Location-near SearchParameter): Locations whose position lies within the distance of the
// point, on a spherical earth. Units are UCUM length units; kilometres when omitted.
import { badRequest } from '../../errors.js'
import type { Condition } from '../../store/search-types.js'
import { splitBar, splitOr } from './values.js'

/** The index rows Location.position is kept under (search_number). */
export const NEAR_LATITUDE = 'near$latitude'
export const NEAR_LONGITUDE = 'near$longitude'

/** When the request names no distance the server chooses (search.html#special): 10 km. */
export const DEFAULT_NEAR_KM = 10

const KM_PER: Record<string, number> = { km: 1, m: 0.001, '[mi_i]': 1.609344, mi: 1.609344 }

export function nearCondition(raw: string, key: string): Condition {
  const points = splitOr(raw).map((value) => {
    const [lat, long, distance, units] = splitBar(value)
    const latitude = Number(lat)
    const longitude = Number(long)
    if (!lat || !long || !(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180)) {
      throw badRequest(`${key} needs latitude|longitude[|distance[|units]] in degrees, got ${JSON.stringify(value)}`, key)
    }
    let km = DEFAULT_NEAR_KM
    if (distance) {
      const factor = Object.hasOwn(KM_PER, units || 'km') ? KM_PER[units || 'km'] : undefined
      if (factor === undefined) throw badRequest(`${key}: unknown distance units ${JSON.stringify(units)} (km, m or [mi_i])`, key)
      const d = Number(distance)
      if (!(d >= 0)) throw badRequest(`${key}: the distance must be a number of ${units || 'km'}`, key)
      km = d * factor
    }
    return { latitude, longitude, km }
  })
  return { kind: 'near', points }
}
