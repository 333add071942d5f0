// The worker registers our custom search attributes at start-up (SPEC section
// 6), so ops can filter by them on any Temporal: the dev server already has
// them (start-dev flags), a self-hosted cluster gets them on first start.
import type { ConnectionLike } from '@temporalio/client';
// A CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import { billingSearchAttributes } from '../../workflows/search-attributes';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const GRPC_UNIMPLEMENTED = 12;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** Adds the missing ones; throws when one exists with another type or cannot be added (Temporal Cloud: add them in its UI). */
export async function registerSearchAttributes(connection: ConnectionLike, namespace: string): Promise<{ added: string[] }> {
  // Temporal's time-skipping test server cannot list them (UNIMPLEMENTED): there, all are added.
  const { customAttributes } = await connection.operatorService
    .listSearchAttributes({ namespace })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code === GRPC_UNIMPLEMENTED) return { customAttributes: {} as Record<string, number> };
      throw err;
    });
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(billingSearchAttributes)) {
    const have = customAttributes[name];
    if (have === undefined) missing[name] = TYPES[type];
    else if (have !== TYPES[type]) throw new Error(`search attribute ${name} exists in namespace ${namespace} with another type than ${type}`);
  }
  const added = Object.keys(missing);
  if (added.length === 0) return { added };
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    throw new Error(
      `could not register the search attributes ${added.join(', ')} in namespace ${namespace} (add them as ${added.map((n) => `${n}=${billingSearchAttributes[n as keyof typeof billingSearchAttributes]}`).join(', ')}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { added };
}
