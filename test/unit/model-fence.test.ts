// The model checker is a second opinion only while it cannot import what it
// checks: the ESLint fence of eslint.config.js refuses src/, workflows/,
// activities/ and the test helpers built on them in test/model (except its
// driver, test/model/system.ts).
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();
const refused = async (file: string, source: string) => {
  const [result] = await eslint.lintText(source, { filePath: file });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
};

describe('the model checker fence', () => {
  it.each([
    ['src', "import { pricing } from '../../../src/config/pricing';"],
    ['workflows', "import { workflowIdFor } from '../../../workflows/definitions';"],
    ['a test helper', "import { pricing } from '../../helpers/billing-harness';"],
  ])('refuses an import of %s in the reference model', async (_what, line) => {
    expect(await refused('test/model/reference/money.ts', `${line}\nexport const x = 1;\n`)).toEqual([expect.stringContaining('must not import the system it checks')]);
  });

  it('lets the driver (test/model/system.ts) import the system', async () => {
    expect(await refused('test/model/system.ts', "import { workflowIdFor } from '../../workflows/definitions';\nexport const x = workflowIdFor;\n")).toEqual([]);
  });
});
