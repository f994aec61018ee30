// The part of a CapabilityStatement or TerminologyCapabilities that describes this running
// server (kind instance: capabilitystatement.html, terminologycapabilities.html).

export function instanceHeader(baseUrl: string, version: string) {
  return {
    status: 'active' as const,
    date: new Date().toISOString(),
    publisher: 'CaseHub',
    kind: 'instance' as const,
    software: { name: 'CaseHub', version },
    implementation: { description: 'CaseHub FHIR R4 server', url: baseUrl },
  }
}
