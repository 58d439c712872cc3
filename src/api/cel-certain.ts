/**
 * A conservative compiler from a CEL rule to a plain JavaScript check that answers `true` only
 * when the rule certainly evaluates to `true` on `self`, and `false` whenever it is not sure.
 * cel.ts runs it before the CEL interpreter (like the hand-written fast passes): on `true` the
 * rule passes, on `false` CEL evaluates as always, so every failure, error and message still
 * comes from CEL.
 *
 * The model is strict: every sub-expression must evaluate, without error, to a value of a type
 * modelled here (string, number, bool, null, list, map); anything else (a missing field, a
 * `null` or NaN operand, `==` between values of different types, a `has()` on a non-map, …)
 * makes the whole check answer `false` ("not sure"). On the values where it does evaluate, CEL computes the same
 * value, so CEL's error absorption in `&&`, `||` and the macros never needs modelling; the one
 * shortcut taken is the one CEL takes too: `false && x` is false and `true || x` is true
 * whatever `x` is, and `c ? a : b` evaluates one branch.
 *
 * Supported: `self` and macro variables, `a.f`, `a[<int literal>]`, `has(a.f)`, string, int,
 * double and bool literals, `!`, `&&`, `||`, `? :`, `==` and `!=` (both strings, both numbers or
 * both bools), `<`, `<=`, `>`, `>=` (numbers), `x in [<list>]`, `size(x)` / `x.size()` (list or
 * string), and the macros `all`, `exists`, `exists_one`, `filter` over lists. A rule using
 * anything else gets no check (`certainPassFor` returns `undefined`).
 *
 * Values are what the rule's CEL program sees (`toCelValue()`d: property names escaped as in the
 * rule text); as @marcbachmann/cel-js reads them, a map is a plain object whose own properties
 * are its fields, and a JavaScript number is a double (compared numerically with int literals).
 * The library checks the type of every value it reads, and types a dyn function argument deeply
 * (see typeableDeep): a value it would reject (e.g. an `undefined` property) is not sure here.
 * The raw rule text is parsed (cel.ts hands CEL a rewritten text: `has(e[0].f)` becomes
 * `k8sHasField(e[0], 'f')`, which differs from `has` only in typing `e[0]` deeply: checked here).
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';

/** A compiled sub-expression: its value, given the variable slots (slot 0 is `self`). */
type Evaluate = (vars: unknown[]) => unknown;

/** Thrown (never escapes `certainPassFor`'s closure) when an evaluation is not certain. */
const NOT_SURE: unique symbol = Symbol('not sure');

/** Thrown at compile time for a construct outside the supported subset. */
class Unsupported extends Error {}

function notSure(): never {
  throw NOT_SURE;
}

/** Only for parsing: the rule text is parsed as the library parses it, never evaluated here. */
const parser = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false });

/**
 * A check that answers `true` only when the CEL rule `source` certainly evaluates to `true` on
 * `self`, compiled once; `undefined` when the rule uses anything outside the supported subset.
 */
export function certainPassFor(source: string): ((self: unknown) => boolean) | undefined {
  let root: Evaluate;
  const compiler = new Compiler();
  try {
    root = compiler.compile(parser.parse(source).ast, new Map([['self', 0]]));
  } catch {
    return undefined; // unsupported construct, or text the parser rejects: CEL alone evaluates
  }
  // One slot array per rule, refilled per call and emptied after (it holds no document).
  const vars: unknown[] = new Array<unknown>(compiler.slots).fill(undefined);
  return (self) => {
    vars[0] = self;
    try {
      return root(vars) === true;
    } catch {
      return false; // NOT_SURE, or anything unforeseen: let CEL decide
    } finally {
      vars.fill(undefined);
    }
  };
}

class Compiler {
  /** How many variable slots the compiled rule uses (self plus nested macro variables). */
  slots = 1;

  compile(node: ASTNode, scope: ReadonlyMap<string, number>): Evaluate {
    switch (node.op) {
      case 'value':
        return constant(literal(node.args));
      case 'id': {
        const slot = scope.get(node.args);
        if (slot === undefined) throw new Unsupported(`variable ${node.args}`);
        return (v) => v[slot];
      }
      case '.': {
        const target = this.compile(node.args[0], scope);
        const field = node.args[1];
        return (v) => select(target(v), field);
      }
      case '[]': {
        const target = this.compile(node.args[0], scope);
        const index = node.args[1];
        if (index.op !== 'value' || typeof index.args !== 'bigint') throw new Unsupported('index');
        const i = Number(index.args);
        return (v) => {
          const list = target(v);
          if (!isList(list) || i < 0 || i >= list.length) notSure();
          return modelled(list[i]);
        };
      }
      case 'call': {
        const [name, args] = node.args;
        const arg = args[0];
        if (args.length !== 1 || arg === undefined) throw new Unsupported(name);
        if (name === 'has') {
          if (arg.op !== '.') throw new Unsupported('has');
          const target = this.compile(arg.args[0], scope);
          const field = arg.args[1];
          // cel.ts rewrites `has(e.f)` with `e` not an identifier chain (e.g. `self.l[0]`) to the
          // function call `k8sHasField(e, 'f')`, whose dyn argument the library types deeply.
          if (!isIdentChain(arg.args[0])) {
            return (v) => {
              const m = target(v);
              typeableDeep(m);
              return present(m, field);
            };
          }
          return (v) => present(target(v), field);
        }
        if (name === 'size') {
          const x = this.compile(arg, scope);
          return (v) => size(x(v));
        }
        throw new Unsupported(name);
      }
      case 'rcall':
        return this.receiverCall(node.args[0], node.args[1], node.args[2], scope);
      case '!_': {
        const x = this.compile(node.args, scope);
        return (v) => !bool(x(v));
      }
      case '&&': {
        const [a, b] = this.both(node.args, scope);
        return (v) => bool(a(v)) && bool(b(v));
      }
      case '||': {
        const [a, b] = this.both(node.args, scope);
        return (v) => bool(a(v)) || bool(b(v));
      }
      case '?:': {
        const c = this.compile(node.args[0], scope);
        const a = this.compile(node.args[1], scope);
        const b = this.compile(node.args[2], scope);
        return (v) => (bool(c(v)) ? a(v) : b(v));
      }
      case '==': {
        const [a, b] = this.both(node.args, scope);
        return (v) => equal(a(v), b(v));
      }
      case '!=': {
        const [a, b] = this.both(node.args, scope);
        return (v) => !equal(a(v), b(v));
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [a, b] = this.both(node.args, scope);
        const compare = COMPARISONS[node.op];
        return (v) => compare(num(a(v)), num(b(v)));
      }
      case 'in': {
        const [x, list] = node.args;
        if (list.op !== 'list') throw new Unsupported('in on a non-literal list');
        const item = this.compile(x, scope);
        const items = list.args.map((e) => this.compile(e, scope));
        return (v) => {
          const value = item(v);
          typeableDeep(value); // the library types both operands of `in` deeply (`x in []` too)
          let found = false;
          for (const e of items) if (equal(value, e(v))) found = true;
          return found;
        };
      }
      default:
        throw new Unsupported(node.op);
    }
  }

  private both(args: readonly [ASTNode, ASTNode], scope: ReadonlyMap<string, number>): [Evaluate, Evaluate] {
    return [this.compile(args[0], scope), this.compile(args[1], scope)];
  }

  /** `x.size()` and the list macros `x.all(e, p)`, `exists`, `exists_one`, `filter`. */
  private receiverCall(name: string, receiver: ASTNode, args: readonly ASTNode[], scope: ReadonlyMap<string, number>): Evaluate {
    const target = this.compile(receiver, scope);
    if (name === 'size' && args.length === 0) return (v) => size(target(v));
    const [variable, predicate] = args;
    if (args.length !== 2 || variable?.op !== 'id' || predicate === undefined) throw new Unsupported(name);
    const slot = Math.max(...scope.values()) + 1; // one slot per nesting depth
    this.slots = Math.max(this.slots, slot + 1);
    const p = this.compile(predicate, new Map(scope).set(variable.args, slot));
    // Every element is evaluated (no early exit): CEL's own early exits and error absorption then
    // never matter, since a result is only given when no element errs.
    const test = (v: unknown[], item: unknown): boolean => {
      v[slot] = modelled(item); // CEL errs on an element of a type it does not know (a hole: undefined)
      return bool(p(v));
    };
    switch (name) {
      case 'all':
        return (v) => {
          let result = true;
          for (const item of list(target(v))) if (!test(v, item)) result = false;
          return result;
        };
      case 'exists':
        return (v) => {
          let result = false;
          for (const item of list(target(v))) if (test(v, item)) result = true;
          return result;
        };
      case 'exists_one':
        return (v) => {
          let n = 0;
          for (const item of list(target(v))) if (test(v, item)) n += 1;
          return n === 1;
        };
      case 'filter':
        return (v) => {
          const kept: unknown[] = [];
          for (const item of list(target(v))) if (test(v, item)) kept.push(item);
          return kept;
        };
      default:
        throw new Unsupported(name);
    }
  }
}

/** `a`, `a.b.c`: what cel.ts's rewriteRuleSource leaves as a `has()` macro argument's target. */
function isIdentChain(node: ASTNode): boolean {
  let n = node;
  while (n.op === '.') n = n.args[0];
  return n.op === 'id';
}

const COMPARISONS: Readonly<Record<'<' | '<=' | '>' | '>=', (a: number, b: number) => boolean>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function constant(value: unknown): Evaluate {
  return () => value;
}

/** A literal's value: strings, bools, doubles, and ints small enough to be exact doubles. */
function literal(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new Unsupported('literal'); // null, uint, bytes, huge ints
}

function bool(x: unknown): boolean {
  return typeof x === 'boolean' ? x : notSure();
}

function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : notSure();
}

function list(x: unknown): readonly unknown[] {
  return isList(x) ? x : notSure();
}

/** What CEL takes for a list (of the kinds modelled here): an array, not a subclass. */
function isList(x: unknown): x is readonly unknown[] {
  return Array.isArray(x) && x.constructor === Array;
}

/** `x` if it is of a type modelled here (as CEL checks each value it reads); else not sure. */
function modelled(x: unknown): unknown {
  switch (typeof x) {
    case 'string':
    case 'number':
    case 'boolean':
      return x;
    case 'object':
      return x === null || isList(x) || isCelMap(x) ? x : notSure();
    default:
      return notSure(); // undefined (a missing value), bigint, functions, …
  }
}

/**
 * The library types a dyn argument of a function (here: `size`) by its value, deeply: a list by
 * its first element, a map by its first entry's value, and so on down, failing on a value of a
 * type it does not know (e.g. an `undefined` property). Not sure, then.
 */
function typeableDeep(x: unknown): void {
  let v = x;
  for (;;) {
    if (isList(v)) {
      v = v[0];
      if (v === undefined) return; // an empty list (or a hole first): typed as list<dyn>
    } else if (isCelMap(v)) {
      let first: unknown = undefined;
      let empty = true;
      for (const key in v) {
        first = v[key];
        empty = false;
        break;
      }
      if (empty) return;
      v = first;
    } else {
      modelled(v);
      return;
    }
  }
}

/** `a == b` where both are strings, both finite numbers, or both bools; otherwise not sure. */
function equal(a: unknown, b: unknown): boolean {
  const t = typeof a;
  if (t !== typeof b) notSure();
  if (t === 'string' || t === 'boolean') return a === b;
  if (t === 'number' && Number.isFinite(a) && Number.isFinite(b)) return a === b;
  return notSure();
}

/** `size()` of a list, or of a string in code points (as CEL counts). */
function size(x: unknown): number {
  if (isList(x)) {
    typeableDeep(x);
    return x.length;
  }
  if (typeof x !== 'string') return notSure();
  let n = x.length;
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = x.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n -= 1; // a surrogate pair is one code point
        i += 1;
      }
    }
  }
  return n;
}

/** `m.f` on a map; a missing field is an error in CEL: not sure. */
function select(m: unknown, field: string): unknown {
  if (!isCelMap(m) || !Object.prototype.hasOwnProperty.call(m, field)) return notSure();
  return modelled(m[field]);
}

/** `has(m.f)` on a map; not sure on anything else, and on a field whose value is `undefined`. */
function present(m: unknown, field: string): boolean {
  if (!isCelMap(m)) return notSure();
  if (!Object.prototype.hasOwnProperty.call(m, field)) return false;
  modelled(m[field]);
  return true;
}

/** What CEL takes for a map: a plain object (see the library's debugType). */
export function isCelMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const c = (v as object).constructor;
  return c === Object || c === undefined;
}
