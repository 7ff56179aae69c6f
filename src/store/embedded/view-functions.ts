/**
 * Map and reduce functions run as CouchDB's JavaScript query server runs them: in non-strict JavaScript
 * (Kazoo's views assign undeclared loop variables, `for (i in doc.numbers)`), in a sandbox that has
 * CouchDB's globals (`emit`, `log`, `sum`, `isArray`, `toJSON`) and nothing of Node (no `require`, no
 * `process`), compiled once per function source rather than once per document.
 *
 * Only JSON crosses between knm and the sandbox, as between CouchDB and couchjs: the document goes in as
 * text and is parsed by the sandbox's own JSON, emitted rows come back as text. A sandbox therefore never
 * holds an object of knm's realm, whose `constructor.constructor` would be knm's `Function` and reach
 * `process`. A map that throws on a document indexes nothing for that document (CouchDB drops the
 * document's rows and logs the exception), not the rows it emitted before throwing.
 *
 * Each function source gets a context of its own (about 140 kB, 0.3 ms to create), so a function that
 * assigns globals, as sloppy code does, cannot disturb another one.
 */
import vm from 'node:vm';

export type Emit = (key: unknown, value: unknown) => void;
export type MapFunction = (doc: unknown) => void;
export type ReduceFunction = (keys: unknown, values: unknown, rereduce: boolean) => unknown;

/** What a validate_doc_update refused a document with: a `throw({forbidden})`, `throw({unauthorized})`, or anything else. */
export interface ValidateRefusal {
  kind: 'forbidden' | 'unauthorized' | 'exception';
  reason: unknown;
}

export interface ValidateFunction {
  /** A copy of `value` inside the function's sandbox (the design document, its `this`), made once rather than per call. */
  sandboxValue(value: unknown): unknown;
  /**
   * Runs the function over a batch (`oldDocs[i]` is `newDocs[i]`'s, or null), crossing into the sandbox once: for
   * each document, undefined when it passes, else what it was refused with.
   */
  runMany(self: unknown, newDocs: readonly unknown[], oldDocs: readonly unknown[], userCtx: unknown, secObj: unknown): (ValidateRefusal | undefined)[];
}

/** A function source that does not compile: CouchDB answers such a view with 400 compilation_error. */
export class CompilationError extends Error {
  readonly status = 400;
  override readonly name = 'compilation_error';
}

interface SandboxRunners {
  /** Runs a map over one document given as JSON: `[[key, value], …]` as JSON, or `!` and the exception. */
  map(fn: unknown, docJson: string): string;
  /** Runs a reduce over `[keys, values, rereduce]` given as JSON: the result as JSON, or `!` and the exception. */
  reduce(fn: unknown, argsJson: string): string;
  /** Parses JSON into a value of the sandbox, which knm only hands back (the `this` of validate functions). */
  parse(json: string): unknown;
  /**
   * Runs a validate_doc_update, with `self` as `this`, on each document of a batch given as the JSON of
   * `[newDocs, oldDocs]`, with the JSON of userCtx and secObj (each call gets its own copy of those two): the JSON
   * array of the answers, each `` when the document passes, `F` or `U` and the JSON of the `forbidden` /
   * `unauthorized` thrown, or `!` and the exception.
   */
  validateAll(fn: unknown, self: unknown, docsJson: string, userCtxJson: string, secObjJson: string): string;
}

/**
 * Runs once in each new context, in strict mode (the user's functions are compiled apart, non-strict).
 * The runners call the user's function from strict code, so `arguments.callee.caller` leads nowhere, and
 * answer with strings only, so knm never reads a property the sandbox could have put a getter on.
 */
const PRELUDE = `'use strict';
(function (sendLog) {
  var parse = JSON.parse;
  var stringify = JSON.stringify;
  var emitted = null;
  function json(value) {
    var text = stringify(value);
    return text === undefined ? 'null' : text;
  }
  function describe(error) {
    try {
      return error instanceof Error ? String(error.name) + ': ' + String(error.message) : json(error);
    } catch (e) {
      return 'an exception that cannot be described';
    }
  }
  globalThis.emit = function emit(key, value) {
    if (emitted === null) throw new Error('emit is only available to map functions');
    emitted.push('[' + json(key) + ',' + json(value) + ']');
  };
  globalThis.log = function log(message) {
    sendLog(typeof message === 'string' ? message : json(message));
  };
  globalThis.sum = function sum(values) {
    var total = 0;
    for (var i = 0; i < values.length; i += 1) total += values[i];
    return total;
  };
  globalThis.isArray = Array.isArray;
  globalThis.toJSON = stringify;
  return {
    map: function (fn, docJson) {
      emitted = [];
      try {
        fn(parse(docJson));
        return '[' + emitted.join(',') + ']';
      } catch (error) {
        return '!' + describe(error);
      } finally {
        emitted = null;
      }
    },
    reduce: function (fn, argsJson) {
      try {
        var args = parse(argsJson);
        return json(fn(args[0], args[1], args[2]));
      } catch (error) {
        return '!' + describe(error);
      }
    },
    parse: function (json) {
      return parse(json);
    },
    validateAll: function (fn, self, docsJson, userCtxJson, secObjJson) {
      var docs = parse(docsJson);
      var answers = [];
      for (var i = 0; i < docs[0].length; i += 1) {
        answers[i] = validateOne(fn, self, docs[0][i], docs[1][i], parse(userCtxJson), parse(secObjJson));
      }
      return stringify(answers);
    },
  };
  function validateOne(fn, self, newDoc, oldDoc, userCtx, secObj) {
    try {
      fn.call(self, newDoc, oldDoc, userCtx, secObj);
      return '';
    } catch (error) {
      try {
        var thrown = typeof error === 'object' && error !== null ? error : {};
        if (thrown.unauthorized !== undefined) return 'U' + json(thrown.unauthorized);
        if (thrown.forbidden !== undefined) return 'F' + json(thrown.forbidden);
      } catch (e) {
        return '!' + describe(e);
      }
      return '!' + describe(error);
    }
  }
})`;

interface Compiled {
  fn: unknown;
  runners: SandboxRunners;
}

export interface ViewFunctionsOptions {
  /** Where `log()` calls and map exceptions go (CouchDB writes both to its log). */
  log: (line: string) => void;
  /** Distinct function sources kept compiled; the least recently used go first. */
  maxCompiled?: number;
}

export class ViewFunctions {
  private readonly compiled = new Map<string, Compiled>();
  private readonly maxCompiled: number;
  /** How many sources were compiled (a source is compiled again only after it was evicted). */
  compilations = 0;

  constructor(private readonly options: ViewFunctionsOptions) {
    this.maxCompiled = options.maxCompiled ?? 200;
  }

  /** The map function of `source`, whose rows go to `emit`; a document it throws on gets no rows. */
  map(source: string, emit: Emit): MapFunction {
    const { fn, runners } = this.compile(source);
    return (doc) => {
      const answer = runners.map(fn, JSON.stringify(doc));
      if (answer.startsWith('!')) {
        const id = typeof doc === 'object' && doc !== null ? (doc as { _id?: unknown })._id : undefined;
        this.options.log(`knm embedded store: a map function raised ${answer.slice(1)} on document ${JSON.stringify(id)}; the document is left out of the view`);
        return;
      }
      for (const [key, value] of JSON.parse(answer) as [unknown, unknown][]) emit(key, value);
    };
  }

  /** The reduce function of `source`; it throws what the sandboxed function threw. */
  reduce(source: string): ReduceFunction {
    const { fn, runners } = this.compile(source);
    return (keys, values, rereduce) => {
      const answer = runners.reduce(fn, JSON.stringify([keys, values, rereduce]));
      if (answer.startsWith('!')) throw new Error(`reduce function raised ${answer.slice(1)}`);
      return JSON.parse(answer);
    };
  }

  /**
   * The validate_doc_update function of `source`, called with `self` (a value from `sandboxValue`) as `this`.
   */
  validate(source: string): ValidateFunction {
    const { fn, runners } = this.compile(source);
    return {
      sandboxValue: (value) => runners.parse(JSON.stringify(value)),
      runMany: (self, newDocs, oldDocs, userCtx, secObj) => {
        const answers = JSON.parse(runners.validateAll(fn, self, JSON.stringify([newDocs, oldDocs]), JSON.stringify(userCtx) ?? 'null', JSON.stringify(secObj) ?? 'null')) as string[];
        return answers.map(refusalOf);
      },
    };
  }

  private compile(source: string): Compiled {
    const known = this.compiled.get(source);
    if (known !== undefined) {
      this.compiled.delete(source);
      this.compiled.set(source, known);
      return known;
    }
    // A context without a prototype of knm's realm: `this.constructor` inside it is the sandbox's own Object.
    const context = vm.createContext(Object.create(null) as object);
    const prelude = vm.runInContext(PRELUDE, context) as (sendLog: (line: string) => void) => SandboxRunners;
    const runners = prelude((line) => this.options.log(`knm embedded store: view log: ${String(line)}`));
    let fn: unknown;
    try {
      // Compiled as a script of its own, without "use strict": CouchDB's view functions are sloppy code.
      fn = vm.runInContext(`(${source.replace(/;\s*$/, '')}\n)`, context, { filename: 'view-function.js' });
    } catch (error) {
      throw new CompilationError(`${error instanceof Error ? error.message : String(error)} (${source})`);
    }
    if (typeof fn !== 'function') throw new CompilationError(`Expression does not eval to a function. (${source})`);
    const compiled = { fn, runners };
    this.compiled.set(source, compiled);
    this.compilations += 1;
    while (this.compiled.size > this.maxCompiled) {
      const oldest = this.compiled.keys().next().value;
      if (oldest === undefined) break;
      this.compiled.delete(oldest);
    }
    return compiled;
  }
}

/** A sandbox's answer to one document: '' passes; `!` an exception, `U` / `F` the JSON of what was thrown. */
function refusalOf(answer: string): ValidateRefusal | undefined {
  if (answer === '') return undefined;
  if (answer.startsWith('!')) return { kind: 'exception', reason: answer.slice(1) };
  return { kind: answer.startsWith('U') ? 'unauthorized' : 'forbidden', reason: JSON.parse(answer.slice(1)) as unknown };
}
