// Translator messages as { line, column, message }: read from the CqlToElmError annotations the
// translator writes into the ELM (ELM's annotation schema, cqlannotations.xsd), because the
// Kotlin error objects' locators are not part of its JS API.
import type { ElmLibrary } from './elm.js'

export interface CqlIssue {
  severity: 'error' | 'warning' | 'information'
  message: string
  /** the library the issue is in (an include may fail) */
  library?: string
  /** 1-based, as the translator reports */
  line?: number
  column?: number
}

export class CqlCompileError extends Error {
  constructor(readonly issues: CqlIssue[]) {
    super(
      `CQL does not compile: ${issues
        .map((i) => `${i.library ? `${i.library} ` : ''}${i.line !== undefined ? `line ${i.line}:${i.column} ` : ''}${i.message}`)
        .join('; ')}`,
    )
    this.name = 'CqlCompileError'
  }
}

interface Annotation {
  type?: string
  message?: string
  errorSeverity?: string
  libraryId?: string
  startLine?: number
  startChar?: number
}

/** Every annotated message; `errorMessages` backs them up when the ELM carries none. */
export function issuesOf(elm: ElmLibrary, errorMessages: string[]): CqlIssue[] {
  const annotations = ((elm.library.annotation ?? []) as Annotation[]).filter((a) => a.type === 'CqlToElmError')
  const issues: CqlIssue[] = annotations.map((a) => ({
    severity: a.errorSeverity === 'warning' ? 'warning' : a.errorSeverity === 'info' ? 'information' : 'error',
    message: a.message ?? 'unknown error',
    library: a.libraryId,
    line: a.startLine,
    column: a.startChar,
  }))
  if (!issues.some((i) => i.severity === 'error')) {
    for (const message of errorMessages) issues.push({ severity: 'error', message })
  }
  return issues
}
