/**
 * A variable with a default may stand where a value is required (`query($s: String = "x") { groupBySlug(slug:
 * $s) … }`: GraphQL's "All Variable Usages Are Allowed"), and a client may still send it as an explicit
 * null. graphql-js then fails the field at run time with an error that carries no code (it reached clients as
 * INTERNAL_SERVER_ERROR), and graphql-jit hands the null on to the resolvers where it stands in a list or an
 * input object, which read it as a string (a TypeError: INTERNAL_SERVER_ERROR again), or skips a field for
 * `@skip(if: $x)`. Such a null is the client's mistake: refused here, before anything runs, as
 * BAD_USER_INPUT.
 *
 * Written by hand: neither graphql-js nor graphql-jit checks it before executing, and no Envelop plugin does.
 * The positions are found once per document (graphql's TypeInfo gives the type expected where each variable
 * is used), so a request pays a lookup per such variable.
 */
import { GraphQLError, isNonNullType, Kind, separateOperations, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Per document, per operation name ('' for an anonymous one): its variables that must not be null. */
const requiredByDocument = new WeakMap<DocumentNode, Map<string, string[]>>();

/**
 * The variables of each operation of `document` that are declared nullable with a default and used, in the
 * operation or a fragment it spreads, where a value is required (a non-null argument, list item, input
 * field or directive argument).
 */
export function variablesThatMustNotBeNull(schema: GraphQLSchema, document: DocumentNode): Map<string, string[]> {
  const known = requiredByDocument.get(document);
  if (known) return known;
  const required = new Map<string, string[]>();
  for (const [name, operationDocument] of Object.entries(separateOperations(document))) {
    const operation = operationDocument.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const defaulted = new Set(
      (operation?.variableDefinitions ?? [])
        .filter((definition) => definition.defaultValue !== undefined && definition.type.kind !== Kind.NON_NULL_TYPE)
        .map((definition) => definition.variable.name.value),
    );
    if (defaulted.size === 0) continue;
    const names = new Set<string>();
    const typeInfo = new TypeInfo(schema);
    visit(
      operationDocument,
      visitWithTypeInfo(typeInfo, {
        VariableDefinition: () => false, // the definitions' own `$x`, not a use
        Variable(node) {
          const expected = typeInfo.getInputType();
          if (defaulted.has(node.name.value) && expected && isNonNullType(expected)) names.add(node.name.value);
        },
      }),
    );
    if (names.size > 0) required.set(name, [...names]);
  }
  requiredByDocument.set(document, required);
  return required;
}

/** The first variable of the operation to run that must not be null and is sent as null, or null. */
function nullWhereRequired(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: unknown): string | null {
  if (variables === null || typeof variables !== 'object') return null;
  const required = variablesThatMustNotBeNull(schema, document);
  if (required.size === 0) return null;
  // separateOperations names an anonymous operation ''; a document of one operation may be run unnamed.
  const names = required.get(operationName ?? '') ?? (operationName ? undefined : required.size === 1 ? [...required.values()][0] : undefined);
  for (const name of names ?? []) if ((variables as Record<string, unknown>)[name] === null) return name;
  return null;
}

const nullVariableError = (name: string) =>
  new GraphQLError(`Variable "$${name}" must not be null: it is used where a value is required. Send a value, or leave it out for its default.`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } },
  });

/** Refuses, before it runs, an operation sending null for a defaulted variable used where a value is required. */
export function useNullVariableCheck(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const name = nullWhereRequired(args.schema, args.document, args.operationName, args.variableValues);
      if (name !== null) setResultAndStopExecution({ errors: [nullVariableError(name)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const name = nullWhereRequired(args.schema, args.document, args.operationName, args.variableValues);
      if (name !== null) setResultAndStopExecution({ errors: [nullVariableError(name)] });
    },
  };
}
