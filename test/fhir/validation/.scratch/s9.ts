import { checkResource, initValidation } from '../../../../src/fhir/validation/index.js'
import { profileCheck } from '../../../../src/fhir/validation/profile-check.js'
for (const r of [{ resourceType: 'Patient', name: [] }, { resourceType: 'Patient', maritalStatus: {} }, { resourceType: 'Patient', _birthDate: {} }, { resourceType: 'Patient', name: [{}] }, { resourceType: 'Patient', name: [{ id: 'x' }] }, { resourceType: 'Patient', meta: {} }])
  console.log(JSON.stringify(r), JSON.stringify(profileCheck(r, 'Patient')), JSON.stringify(checkResource(r)))
