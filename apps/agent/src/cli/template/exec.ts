// Go text/template's evaluator over the parser's tree.
import { TemplateError } from './errors.js';
import { type Func, FuncError } from './funcs.js';
import { position } from './lexer.js';
import type { Arg, Command, Node, Pipe } from './parser.js';
import { formatValue, GoStruct, goType, isMap, truth } from './values.js';

/** no value piped in from the previous command */
const NONE = Symbol('none');
class Break {}
class Continue {}

function argText(a: Arg): string {
  switch (a.type) {
    case 'field':
      return `.${a.names.join('.')}`;
    case 'variable':
      return a.name + a.names.map((n) => `.${n}`).join('');
    case 'identifier':
      return a.name;
    case 'chain':
      return `(${argText(a.node)}).${a.names.join('.')}`;
    case 'pipe':
      return '(…)';
    case 'string':
      return JSON.stringify(a.value);
    case 'number':
      return a.text;
    case 'dot':
      return '.';
    default:
      return String('value' in a ? a.value : a.type);
  }
}

export class Exec {
  private out = '';
  private vars: { name: string; value: unknown }[] = [];

  constructor(
    private readonly src: string,
    private readonly funcs: Readonly<Record<string, Func>>,
    /** Go's `missingkey=error`, which docker's inspect sets; elsewhere a missing key is `<no value>` */
    private readonly missingKeyError = false,
  ) {}

  /** the output so far, also after a failure */
  get written(): string {
    return this.out;
  }

  run(nodes: Node[], data: unknown): string {
    this.out = '';
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, nodes);
    return this.out;
  }

  private fail(pos: number, at: string, msg: string): never {
    const { line, col } = position(this.src, pos);
    throw new TemplateError(`template: :${line}:${col}: executing "" at <${at}>: ${msg}`);
  }

  private walkList(dot: unknown, nodes: Node[]): void {
    for (const n of nodes) this.walk(dot, n);
  }

  private walk(dot: unknown, n: Node): void {
    switch (n.type) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.evalPipe(dot, n.pipe);
        if (!n.pipe.decl.length) this.out += formatValue(v);
        return;
      }
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
      case 'if':
      case 'with':
      case 'range': {
        if (n.type === 'range') {
          this.walkRange(dot, n);
          return;
        }
        const mark = this.vars.length;
        const v = this.evalPipe(dot, n.pipe);
        if (truth(v)) this.walkList(n.type === 'with' ? v : dot, n.list);
        else if (n.elseList) this.walkList(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
    }
  }

  private walkRange(dot: unknown, n: Extract<Node, { type: 'if' | 'with' | 'range' }>): void {
    const mark = this.vars.length;
    const v = this.evalPipe(dot, n.pipe);
    let entries: [unknown, unknown][];
    if (v === undefined || v === null) entries = [];
    else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (isMap(v))
      entries = Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]);
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else this.fail(n.pos, 'range', `range can't iterate over ${formatValue(v)}`);
    // the pipe's declarations, set for each element: `$e :=` or `$i, $e :=`
    const decl = n.pipe.decl;
    const bodyMark = this.vars.length;
    for (const [k, e] of entries) {
      if (decl.length === 1) this.vars[bodyMark - 1]!.value = e;
      if (decl.length === 2) {
        this.vars[bodyMark - 2]!.value = k;
        this.vars[bodyMark - 1]!.value = e;
      }
      try {
        this.walkList(e, n.list);
      } catch (x) {
        if (x instanceof Break) break;
        if (!(x instanceof Continue)) throw x;
      } finally {
        this.vars.length = bodyMark;
      }
    }
    if (!entries.length && n.elseList) this.walkList(dot, n.elseList);
    this.vars.length = mark;
  }

  private evalPipe(dot: unknown, pipe: Pipe): unknown {
    let v: unknown = NONE;
    for (const cmd of pipe.cmds) v = this.evalCommand(dot, cmd, v);
    if (pipe.assign) {
      const slot = [...this.vars].reverse().find((x) => x.name === pipe.decl[0]);
      if (slot) slot.value = v;
    } else for (const name of pipe.decl) this.vars.push({ name, value: v });
    return v;
  }

  private evalCommand(dot: unknown, cmd: Command, final: unknown): unknown {
    const [first, ...rest] = cmd.args as [Arg, ...Arg[]];
    switch (first.type) {
      case 'field':
        return this.evalChain(dot, dot, first, first.names, rest, final);
      case 'chain':
        return this.evalChain(dot, this.evalArg(dot, first.node), first, first.names, rest, final);
      case 'variable': {
        const v = this.lookup(first.name);
        if (!first.names.length) {
          this.noArgs(first, rest, final);
          return v;
        }
        return this.evalChain(dot, v, first, first.names, rest, final);
      }
      case 'identifier':
        return this.call(dot, first, rest, final);
      default:
        this.noArgs(first, rest, final);
        return this.evalArg(dot, first);
    }
  }

  private noArgs(first: Arg, rest: Arg[], final: unknown): void {
    if (rest.length || final !== NONE) this.fail(first.pos, argText(first), `can't give argument to non-function ${argText(first)}`);
  }

  private lookup(name: string): unknown {
    const slot = [...this.vars].reverse().find((x) => x.name === name);
    return slot?.value;
  }

  /** an operand: arguments to functions and methods are evaluated without further arguments */
  private evalArg(dot: unknown, a: Arg): unknown {
    switch (a.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'bool':
      case 'number':
      case 'string':
        return a.value;
      case 'field':
        return this.evalChain(dot, dot, a, a.names, [], NONE);
      case 'variable':
        return a.names.length ? this.evalChain(dot, this.lookup(a.name), a, a.names, [], NONE) : this.lookup(a.name);
      case 'chain':
        return this.evalChain(dot, this.evalArg(dot, a.node), a, a.names, [], NONE);
      case 'pipe': {
        const mark = this.vars.length;
        const v = this.evalPipe(dot, a.pipe);
        this.vars.length = mark;
        return v;
      }
      case 'identifier':
        return this.call(dot, a, [], NONE);
    }
  }

  private call(dot: unknown, fn: Extract<Arg, { type: 'identifier' }>, rest: Arg[], final: unknown): unknown {
    const f = this.funcs[fn.name]!;
    const args = rest.map((r) => this.evalArg(dot, r));
    if (final !== NONE) args.push(final);
    try {
      return f(...args);
    } catch (e) {
      if (e instanceof FuncError) this.fail(fn.pos, fn.name, `error calling ${fn.name}: ${e.message}`);
      throw e;
    }
  }

  /** `.A.B args…`: fields in turn; the last one may be a method taking the arguments */
  private evalChain(dot: unknown, receiver: unknown, node: Arg, names: string[], rest: Arg[], final: unknown): unknown {
    let v = receiver;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      v = this.field(dot, v, name, node, last ? rest : [], last ? final : NONE);
    });
    return v;
  }

  private field(dot: unknown, receiver: unknown, name: string, node: Arg, rest: Arg[], final: unknown): unknown {
    const at = argText(node);
    const hasArgs = rest.length > 0 || final !== NONE;
    if (receiver instanceof GoStruct) {
      if (!Object.hasOwn(receiver.fields, name)) this.fail(node.pos, at, `can't evaluate field ${name} in type ${receiver.typeName}`);
      const v = receiver.fields[name];
      if (typeof v === 'function') {
        const args = rest.map((r) => this.evalArg(dot, r));
        if (final !== NONE) args.push(final);
        if (args.length !== v.length) this.fail(node.pos, at, `wrong number of args for ${name}: want ${v.length} got ${args.length}`);
        return (v as Func)(...args);
      }
      if (hasArgs) this.fail(node.pos, at, `${name} has arguments but cannot be invoked as function`);
      return v;
    }
    if (isMap(receiver)) {
      if (hasArgs) this.fail(node.pos, at, `${name} is not a method but has arguments`);
      if (!Object.hasOwn(receiver, name)) {
        if (this.missingKeyError) this.fail(node.pos, at, `map has no entry for key "${name}"`);
        return undefined;
      }
      return receiver[name];
    }
    if (receiver === null || receiver === undefined) this.fail(node.pos, at, `nil pointer evaluating interface {}.${name}`);
    this.fail(node.pos, at, `can't evaluate field ${name} in type ${goType(receiver)}`);
  }
}
