import Type from 'typebox';

/** `:id` of a workspace route: the same rule as the workspaces.id CHECK constraint. */
export const WorkspaceParams = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'workspace id' }) },
  { additionalProperties: false },
);

export const BalanceSchema = Type.Object({ plan: Type.Integer(), purchased: Type.Integer(), total: Type.Integer() });
