// Who is asking and which request this is. Every store operation carries one, so access
// control (SMART scopes, compartments) and AuditEvents can be enforced below the routes later.
export interface Principal {
  /** 'anonymous' until authentication lands; then a client or user id */
  kind: 'anonymous' | 'system' | 'client' | 'user'
  id?: string
  scopes?: string[]
}

export interface RequestContext {
  requestId: string
  principal: Principal
}

export const systemContext = (requestId: string): RequestContext => ({
  requestId,
  principal: { kind: 'system' },
})
