/**
 * The cost limit (MAX_COST), with the page sizes an operation will really have.
 *
 * GraphQL Armor's cost estimate multiplies a page by its `first` only when `first` is written in the
 * document as a number: a `first` passed as a variable, or left out (DEFAULT_PAGE_SIZE applies), counted
 * as 1, and a `last` not at all. Pages of 100 nested in pages of 100, with their sizes in variables, passed
 * the limit (one anonymous request: 48 MB of answer and 6 s of a blocked event loop). Armor's rule is kept,
 * and is given the document with every page's size written in as `first`: the number given (in `first` or
 * `last`), the variable's value (or its default), or DEFAULT_PAGE_SIZE. Written by hand because no cost library reads variables; what it adds is that rewrite.
 *
 * It runs when the operation runs (execute or subscribe), once the variables are known, and before any
 * resolver. A document whose page sizes are all written in (or left out) has one cost whatever its
 * variables: that verdict is kept with the document, so a repeated document costs a WeakMap lookup. One whose
 * pages are sized by variables keeps a verdict per combination of their values (an estimate is about 0.1 ms).
 */
import {
  GraphQLError,
  Kind,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface PageSizes {
  /** MAX_PAGE_SIZE: a variable's value above it is refused by the page itself; counted as at most this. */
  maxPageSize: number;
  /** DEFAULT_PAGE_SIZE: the size of a page whose `first` and `last` are left out. */
  defaultPageSize: number;
}

type Variables = Record<string, unknown> | null | undefined;

/**
 * What is known of a document: its refusals, when no variable sizes a page; else the variables that do, and
 * the refusals found for each combination of their values (a few: clients page by a handful of sizes).
 */
type Verdict =
  | { readonly errors: readonly GraphQLError[] }
  | { readonly sizedBy: readonly string[]; readonly bySizes: Map<string, readonly GraphQLError[]> };

/** The most combinations of page sizes kept for one document; past it, they are forgotten and found again. */
const SIZES_KEPT = 32;

/** The arguments that size a page: `first`, or `last` when paging backward. */
const isPageSize = (name: string) => name === 'first' || name === 'last';

/** The variables that give a page's `first` or `last` somewhere in the document. */
function pageSizeVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (isPageSize(node.name.value) && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names];
}

/**
 * The page size a variable gives: its value when a number; when left out, the operation's default for it
 * (a null given overrides the default, as graphql's coercion does); else null (the default page size).
 */
function variableSize(name: string, document: DocumentNode, variables: Variables): number | null {
  const given = variables?.[name];
  if (typeof given === 'number') return given;
  if (given !== undefined) return null;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const declared = definition.variableDefinitions?.find((v) => v.variable.name.value === name);
    if (declared?.defaultValue?.kind === Kind.INT) return Number(declared.defaultValue.value);
  }
  return null;
}

/** The page size a `first` or `last` argument gives, as a number (null when it does not say). */
function givenSize(argument: ArgumentNode, document: DocumentNode, variables: Variables): number | null {
  const value = argument.value;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind !== Kind.VARIABLE) return null;
  return variableSize(value.name.value, document, variables);
}

/**
 * The size of a page: the larger of its `first` and `last` (a page given both is refused when it runs, but
 * is not estimated the smaller for it), DEFAULT_PAGE_SIZE when neither says.
 */
function pageSizeOf(sizing: readonly ArgumentNode[], document: DocumentNode, variables: Variables, sizes: PageSizes): number {
  let size: number | null = null;
  for (const argument of sizing) {
    const given = givenSize(argument, document, variables);
    if (given !== null) size = Math.max(size ?? given, given);
  }
  return size ?? sizes.defaultPageSize;
}

/**
 * The document with every page's size written in as `first: N`, N within [0, maxPageSize], in place of its
 * `first` and `last` (the estimate reads `first` only). A page is a field that takes a `first` argument
 * (every connection of the schema, each of which takes `last` too).
 */
export function withPageSizes(schema: GraphQLSchema, document: DocumentNode, variables: Variables, sizes: PageSizes): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode) {
        const definition = typeInfo.getFieldDef();
        if (!definition?.args.some((arg) => arg.name === 'first')) return undefined;
        const sizing = node.arguments?.filter((arg) => isPageSize(arg.name.value)) ?? [];
        const size = Math.min(Math.max(pageSizeOf(sizing, document, variables, sizes), 0), sizes.maxPageSize);
        const first: ArgumentNode = {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'first' },
          value: { kind: Kind.INT, value: String(Math.trunc(size)) },
        };
        return { ...node, arguments: [...(node.arguments ?? []).filter((arg) => !sizing.includes(arg)), first] };
      },
    }),
  );
}

/** Refuses an operation whose estimated cost, its pages at their real sizes, is over the limit of `costRule`. */
export function usePageCostLimit(costRule: ValidationRule, sizes: PageSizes): Plugin {
  const verdicts = new WeakMap<DocumentNode, Verdict>();

  const estimate = (schema: GraphQLSchema, document: DocumentNode, variables: Variables) =>
    validate(schema, withPageSizes(schema, document, variables, sizes), [costRule]);

  function refusals(schema: GraphQLSchema, document: DocumentNode, variables: Variables): readonly GraphQLError[] {
    let known = verdicts.get(document);
    if (known === undefined) {
      const sizedBy = pageSizeVariables(document);
      known = sizedBy.length ? { sizedBy, bySizes: new Map() } : { errors: estimate(schema, document, variables) };
      verdicts.set(document, known);
    }
    if ('errors' in known) return known.errors;
    // The estimate depends on the sizes those variables give only: the key is those sizes, worked out as the
    // estimate works them out (a variable left out is its default, and not the same as a null given).
    const key = known.sizedBy.map((name) => variableSize(name, document, variables) ?? '').join(',');
    let errors = known.bySizes.get(key);
    if (errors === undefined) {
      errors = estimate(schema, document, variables);
      if (known.bySizes.size >= SIZES_KEPT) known.bySizes.clear();
      known.bySizes.set(key, errors);
    }
    return errors;
  }

  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = refusals(args.schema, args.document, args.variableValues);
      if (errors.length) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = refusals(args.schema, args.document, args.variableValues);
      if (errors.length) setResultAndStopExecution({ errors });
    },
  };
}
