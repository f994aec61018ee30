// Which plan a search statement runs with, chosen by the time each kind of plan has taken.
//
// PostgreSQL plans a prepared statement afresh for its values each time (a custom plan) unless
// its cost model expects its one generic plan to do as well. For searches the model keeps custom
// plans throughout, and planning them costs 0.5–0.8 ms, often more than running them
// (Encounter?subject=…&class=…&date=… runs in 0.2 ms). A generic plan is sometimes far worse,
// though: for Task?owner=…&status=requested it starts from the owner's thousands of tasks
// instead of the status's few (10 ms against 1.3). So each search shape (its SQL text) tries both
// and keeps the one that has been quicker, looking at the other again now and then as the
// values asked for change.

/** Runs of each kind before a shape chooses by time. */
const TRIALS = 3
/** One run in this many tries the plan not chosen, so its time stays current… */
const RECHECK_EVERY = 50
/** …or in this many when it has been far slower (a generic plan that reads the wrong index). */
const RECHECK_SLOW_EVERY = 2000
/** Far slower: this many times the other's time, plus a few ms. */
const SLOW_FACTOR = 4
const SLOW_MARGIN_MS = 5
/** Weight of the newest time in a plan's running average. */
const WEIGHT = 0.2
/** Shapes remembered (least recently added go first). */
const MAX_SHAPES = 5000

interface Times {
  /** the first run of each kind is not counted: it parses the statement and warms caches */
  warm: boolean
  runs: number
  /** running average, ms */
  ms: number
}

interface Shape {
  custom: Times
  generic: Times
  calls: number
}

export class PlanChoice {
  private readonly shapes = new Map<string, Shape>()

  /** Whether the search statement `name` should run with its generic plan this time. */
  generic(name: string): boolean {
    const shape = this.shape(name)
    shape.calls++
    // custom first: it is never the badly wrong one
    if (shape.custom.runs < TRIALS) return false
    if (shape.generic.runs < TRIALS) return true
    const genericWins = shape.generic.ms < shape.custom.ms
    const [winner, loser] = genericWins ? [shape.generic, shape.custom] : [shape.custom, shape.generic]
    const every = loser.ms > SLOW_FACTOR * winner.ms + SLOW_MARGIN_MS ? RECHECK_SLOW_EVERY : RECHECK_EVERY
    return shape.calls % every === 0 ? !genericWins : genericWins
  }

  /** Records how long a run of `name` took with the plan `generic` says. */
  record(name: string, generic: boolean, ms: number): void {
    const shape = this.shape(name)
    const times = generic ? shape.generic : shape.custom
    if (!times.warm) {
      times.warm = true
      return
    }
    times.ms = times.runs === 0 ? ms : times.runs < TRIALS ? (times.ms * times.runs + ms) / (times.runs + 1) : times.ms + WEIGHT * (ms - times.ms)
    times.runs++
    // one far slower generic run ends its trials: no need to try a bad plan three times
    if (generic && ms > SLOW_FACTOR * shape.custom.ms + SLOW_MARGIN_MS) {
      times.runs = Math.max(times.runs, TRIALS)
      times.ms = Math.max(times.ms, ms)
    }
  }

  /** Runs recorded of each kind, over every shape. */
  runs(): { custom: number; generic: number } {
    let custom = 0
    let generic = 0
    for (const shape of this.shapes.values()) {
      custom += shape.custom.runs
      generic += shape.generic.runs
    }
    return { custom, generic }
  }

  private shape(name: string): Shape {
    let shape = this.shapes.get(name)
    if (!shape) {
      shape = { custom: { warm: false, runs: 0, ms: 0 }, generic: { warm: false, runs: 0, ms: 0 }, calls: 0 }
      this.shapes.set(name, shape)
      if (this.shapes.size > MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value!)
    }
    return shape
  }
}
