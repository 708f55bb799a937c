/**
 * The cost limit (MAX_COST), with the page sizes an operation will really have.
 *
 * GraphQL Armor's cost estimate multiplies a page by its `first` (or `last`) only when it is written in the
 * document as a number: one passed as a variable, or left out (DEFAULT_PAGE_SIZE applies), counted as 1.
 * Pages of 100 nested in pages of 100, with their sizes in variables, passed the limit (one anonymous
 * request: 48 MB of answer and 6 s of a blocked event loop). A list sized by the ids it is given
 * (`nodes(ids:)`, a mutation's `memberIds`) counted as one item however many ids it named. Armor's rule is
 * kept, and is given the operation that runs with every page's size written in as `first`: the number given
 * (in `first` or `last`), the variable's value (or the running operation's default for it), the length of
 * the list of ids, or DEFAULT_PAGE_SIZE. Written by hand because no cost library reads variables; what it
 * adds is that rewrite.
 *
 * It runs when the operation runs (execute or subscribe), once the variables are known, and before any
 * resolver. Only the operation that runs is estimated (with the fragments), each variable read from its own
 * declarations: a document's other operations neither refuse it nor lend it their defaults. An operation
 * whose page sizes are all written in (or left out) has one cost whatever its variables: that verdict is
 * kept with the document, so a repeated document costs a WeakMap lookup. One whose pages are sized by
 * variables keeps a verdict per combination of their sizes (an estimate is about 0.1 ms).
 */
import {
  getNullableType,
  getOperationAST,
  GraphQLError,
  isListType,
  Kind,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface PageSizes {
  /** MAX_PAGE_SIZE: a variable's value above it is refused by the page itself; counted as at most this. */
  maxPageSize: number;
  /** DEFAULT_PAGE_SIZE: the size of a page whose `first` and `last` are left out. */
  defaultPageSize: number;
}

type Variables = Record<string, unknown> | null | undefined;

/** The operation that runs, with the document's fragments: what is estimated. */
interface Running {
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

/**
 * What is known of an operation: its refusals, when no variable sizes a page; else the variables that do,
 * and the refusals found for each combination of their sizes (a few: clients page by a handful of sizes).
 */
type Verdict = Running &
  ({ readonly errors: readonly GraphQLError[] } | { readonly sizedBy: readonly string[]; readonly bySizes: Map<string, readonly GraphQLError[]> });

/** The most combinations of page sizes kept for one operation; past it, they are forgotten and found again. */
const SIZES_KEPT = 32;

/** The arguments that size a page: `first`, or `last` when paging backward. */
const isPageSize = (name: string) => name === 'first' || name === 'last';

/**
 * The arguments of `node` (a field of definition `field`) that size its result, if it has a size: a
 * connection's `first` and `last`; the lists of ids (or of items) of a field that returns one item for each
 * (`nodes(ids:)`, `assignRole(memberIds:)`).
 */
function sizingOf(field: GraphQLField<unknown, unknown> | null | undefined, node: FieldNode): { page: boolean; args: ArgumentNode[] } | null {
  if (!field) return null;
  if (field.args.some((arg) => arg.name === 'first')) {
    return { page: true, args: node.arguments?.filter((arg) => isPageSize(arg.name.value)) ?? [] };
  }
  if (!isListType(getNullableType(field.type))) return null;
  const lists = new Set(field.args.filter((arg) => isListType(getNullableType(arg.type))).map((arg) => arg.name));
  if (lists.size === 0) return null;
  return { page: false, args: node.arguments?.filter((arg) => lists.has(arg.name.value)) ?? [] };
}

/** The variables that size a page or a list somewhere in the running operation (or its fragments). */
function sizeVariables(schema: GraphQLSchema, running: Running): string[] {
  const names = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    running.document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode) {
        for (const arg of sizingOf(typeInfo.getFieldDef(), node)?.args ?? []) {
          if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
        }
      },
    }),
  );
  return [...names];
}

/** The size a value gives: a number as itself, a list by its length (null when it does not say). */
function sizeOfValue(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.length;
  return null;
}

/** The size a literal gives: an integer as itself, a list by its length, one item for anything else. */
function sizeOfLiteral(value: ValueNode, page: boolean): number | null {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.LIST) return value.values.length;
  return page ? null : 1;
}

/**
 * The size a variable gives: its value (a number, or a list's length); when left out, the running
 * operation's default for it (a null given overrides the default, as graphql's coercion does); else null.
 */
function variableSize(name: string, operation: OperationDefinitionNode, variables: Variables): number | null {
  const given = variables?.[name];
  if (given !== undefined) return sizeOfValue(given);
  const declared = operation.variableDefinitions?.find((v) => v.variable.name.value === name);
  return declared?.defaultValue ? sizeOfLiteral(declared.defaultValue, true) : null;
}

/**
 * The size of a page or list: the largest its sizing arguments give (a page given both `first` and `last`
 * is refused when it runs, but is not estimated the smaller for it); DEFAULT_PAGE_SIZE for a page that does
 * not say, one item for a list that does not.
 */
function sizeOf(sizing: { page: boolean; args: ArgumentNode[] }, running: Running, variables: Variables, sizes: PageSizes): number {
  let size: number | null = null;
  for (const argument of sizing.args) {
    const value = argument.value;
    const given = value.kind === Kind.VARIABLE ? variableSize(value.name.value, running.operation, variables) : sizeOfLiteral(value, sizing.page);
    if (given !== null) size = Math.max(size ?? given, given);
  }
  return size ?? (sizing.page ? sizes.defaultPageSize : 1);
}

/** Whether a field asks for a search (`members(search:)` with a term, or a variable for one). */
function searches(node: FieldNode): boolean {
  const search = node.arguments?.find((arg) => arg.name.value === 'search')?.value;
  if (!search) return false;
  // A variable counts as a search whatever it holds, so that the verdict kept per document (usePageCostLimit)
  // does not depend on its value.
  return search.kind === Kind.VARIABLE || (search.kind === Kind.STRING && search.value.trim() !== '');
}

/** The most member searches (`members(search:)`) one operation may hold, fragments counted each time they are spread. */
export const MAX_MEMBER_SEARCHES = 3;

/**
 * The member searches the running operation holds, each fragment counted as often as it is spread. The cost
 * estimate cannot price a search: its `first` says how many rows it answers, not how many it reads (a group's
 * every member, when few match). Fifteen searches of one row each, in one request to a group of 50,000,
 * held a SQLite gateway for 1.3 s; their number is capped instead.
 */
function memberSearches(running: Running): number {
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of running.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const counted = new Map<string, number>();
  const count = (set: SelectionSetNode | undefined, depth: number): number => {
    if (!set || depth > 64) return 0;
    let found = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        found += (selection.name.value === 'members' && searches(selection) ? 1 : 0) + count(selection.selectionSet, depth + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        found += count(selection.selectionSet, depth + 1);
      } else {
        const name = selection.name.value;
        if (!counted.has(name)) {
          counted.set(name, 0); // a fragment that spreads itself (refused by validation) counts once
          counted.set(name, count(fragments.get(name), depth + 1));
        }
        found += counted.get(name)!;
      }
    }
    return found;
  };
  return count(running.operation.selectionSet, 0);
}

const tooManySearches = () =>
  new GraphQLError(`At most ${MAX_MEMBER_SEARCHES} member searches (members with a search) may be asked in one request.`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } },
  });

/**
 * The running operation with every page's and list's size written in as `first: N`, N within
 * [0, maxPageSize], in place of its `first` and `last` (the estimate reads the first of those it finds).
 */
export function withPageSizes(schema: GraphQLSchema, running: Running, variables: Variables, sizes: PageSizes): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    running.document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode) {
        const sizing = sizingOf(typeInfo.getFieldDef(), node);
        if (!sizing) return undefined;
        const size = Math.min(Math.max(sizeOf(sizing, running, variables, sizes), 0), sizes.maxPageSize);
        const first: ArgumentNode = {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'first' },
          value: { kind: Kind.INT, value: String(Math.trunc(size)) },
        };
        return { ...node, arguments: [...(node.arguments ?? []).filter((arg) => !isPageSize(arg.name.value)), first] };
      },
    }),
  );
}

/** The operation `operationName` picks in `document`, with the document's fragments (null: none to pick). */
function runningOperation(document: DocumentNode, operationName: string | null | undefined): Running | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  if (document.definitions.length === 1) return { document, operation };
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  return { document: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }, operation };
}

/** Refuses an operation whose estimated cost, its pages at their real sizes, is over the limit of `costRule`. */
export function usePageCostLimit(costRule: ValidationRule, sizes: PageSizes): Plugin {
  /** Per document, the verdict of each of its operations (by name; '' for the only, unnamed one). */
  const verdicts = new WeakMap<DocumentNode, Map<string, Verdict>>();

  const estimate = (schema: GraphQLSchema, running: Running, variables: Variables) =>
    validate(schema, withPageSizes(schema, running, variables, sizes), [costRule]);

  function refusals(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Variables): readonly GraphQLError[] {
    let operations = verdicts.get(document);
    if (operations === undefined) verdicts.set(document, (operations = new Map()));
    let known = operations.get(operationName ?? '');
    if (known === undefined) {
      const running = runningOperation(document, operationName);
      // No operation to run by that name: execution says so; there is nothing to estimate.
      if (running === null) return [];
      const sizedBy = sizeVariables(schema, running);
      if (memberSearches(running) > MAX_MEMBER_SEARCHES) known = { ...running, errors: [tooManySearches()] };
      else known = sizedBy.length ? { ...running, sizedBy, bySizes: new Map() } : { ...running, errors: estimate(schema, running, variables) };
      operations.set(operationName ?? '', known);
    }
    if ('errors' in known) return known.errors;
    // The estimate depends on the sizes those variables give only: the key is those sizes, worked out as the
    // estimate works them out (a variable left out is its default, and not the same as a null given).
    const key = known.sizedBy.map((name) => variableSize(name, known.operation, variables) ?? '').join(',');
    let errors = known.bySizes.get(key);
    if (errors === undefined) {
      errors = estimate(schema, known, variables);
      if (known.bySizes.size >= SIZES_KEPT) known.bySizes.clear();
      known.bySizes.set(key, errors);
    }
    return errors;
  }

  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = refusals(args.schema, args.document, args.operationName, args.variableValues);
      if (errors.length) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = refusals(args.schema, args.document, args.operationName, args.variableValues);
      if (errors.length) setResultAndStopExecution({ errors });
    },
  };
}
