// Interaction name → handler, for every interaction that is not a Bundle or the CapabilityStatement.
import { capabilities } from './interactions/capabilities.js'
import { create } from './interactions/create.js'
import { conditionalDelete, remove } from './interactions/delete.js'
import { history } from './interactions/history.js'
import { conditionalPatch, patch } from './interactions/patch.js'
import { read } from './interactions/read.js'
import { search, searchCompartment, searchSystem } from './interactions/search.js'
import { conditionalUpdate, update } from './interactions/update.js'
import { vread } from './interactions/vread.js'
import { operation } from './operations/dispatch.js'
import { asyncCancel, asyncStatus } from './operations/async-requests.js'
import type { Interaction } from './routes.js'
import type { Handler } from './types.js'

export const HANDLERS: Record<Exclude<Interaction, 'transaction'>, Handler> = {
  capabilities,
  read,
  vread,
  update,
  patch,
  delete: remove,
  create,
  'search-type': search,
  'search-system': searchSystem,
  'search-compartment': searchCompartment,
  'conditional-update': conditionalUpdate,
  'conditional-delete': conditionalDelete,
  'conditional-patch': conditionalPatch,
  'history-instance': history,
  'history-type': history,
  'history-system': history,
  'operation-system': operation,
  'operation-type': operation,
  'operation-instance': operation,
  'async-status': asyncStatus,
  'async-cancel': asyncCancel,
}
