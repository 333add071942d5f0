import { describe, expect, it } from 'vitest';
import { dialHost, publicHost, resolveAddresses } from '../../src/config/addresses';
import { workspaceSearchTemplate, workspaceSearchUrl, workspaceWorkflowUrl } from '../../src/temporal/ui-links';

describe('addresses shared by npm start and the CLI', () => {
  it('defaults: the API on loopback 3000, the dev server on 7233 and its UI on 8233', () => {
    expect(resolveAddresses({})).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      apiUrl: 'http://127.0.0.1:3000',
      localApiUrl: 'http://127.0.0.1:3000',
      temporal: { external: undefined, address: '127.0.0.1:7233', namespace: 'default', devPort: 7233, uiPort: 8233, uiUrl: 'http://127.0.0.1:8233' },
    });
  });

  it('moved ports move every address a client dials', () => {
    const a = resolveAddresses({ PORT: '4000', TEMPORAL_DEV_PORT: '17233', TEMPORAL_UI_PORT: '18233', TEMPORAL_NAMESPACE: 'billing' });
    expect(a.apiUrl).toBe('http://127.0.0.1:4000');
    expect(a.temporal).toMatchObject({ address: '127.0.0.1:17233', uiUrl: 'http://127.0.0.1:18233', namespace: 'billing' });
  });

  it('HOST binds elsewhere; a client dials loopback for "every interface"', () => {
    expect(resolveAddresses({ HOST: '0.0.0.0', PORT: '4000' })).toMatchObject({ host: '0.0.0.0', apiUrl: 'http://127.0.0.1:4000' });
    expect(resolveAddresses({ HOST: '10.1.2.3' }).localApiUrl).toBe('http://10.1.2.3:3000');
    expect(dialHost('::')).toBe('[::1]');
    expect(dialHost('fd00::1')).toBe('[fd00::1]');
  });

  it("the address another machine follows (PUBLIC_BASE_URL's default) is HOST's, this machine's name for every interface", () => {
    expect(resolveAddresses({}, 'billing-1').publicApiUrl).toBe('http://127.0.0.1:3000');
    expect(resolveAddresses({ HOST: '10.1.2.3', PORT: '4000' }, 'billing-1').publicApiUrl).toBe('http://10.1.2.3:4000');
    expect(resolveAddresses({ HOST: 'billing.internal' }, 'billing-1').publicApiUrl).toBe('http://billing.internal:3000');
    expect(resolveAddresses({ HOST: '0.0.0.0', PORT: '4000' }, 'billing-1').publicApiUrl).toBe('http://billing-1:4000');
    expect(publicHost('::', 'billing-1')).toBe('billing-1');
    expect(publicHost('fd00::1', 'billing-1')).toBe('[fd00::1]');
  });

  it('explicit URLs win (without a trailing slash); an external Temporal has no UI unless named', () => {
    const a = resolveAddresses({ BILLING_API_URL: 'https://billing.example.com/', TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(a.apiUrl).toBe('https://billing.example.com');
    expect(a.localApiUrl).toBe('http://127.0.0.1:3000');
    expect(a.temporal).toMatchObject({ external: 'temporal:7233', address: 'temporal:7233', uiUrl: undefined });
    expect(resolveAddresses({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_UI_URL: 'http://ui:8080/' }).temporal.uiUrl).toBe('http://ui:8080');
  });

  it('refuses a bad port or URL, naming the variable', () => {
    expect(() => resolveAddresses({ PORT: '70000' })).toThrow("PORT must be a port number, got '70000'");
    expect(() => resolveAddresses({ TEMPORAL_UI_PORT: 'ui' })).toThrow("TEMPORAL_UI_PORT must be a port number, got 'ui'");
    expect(() => resolveAddresses({ BILLING_API_URL: '127.0.0.1:3000' })).toThrow(/BILLING_API_URL must be an absolute URL/);
  });
});

describe('Temporal UI links', () => {
  it('a ready ?query= link per workspace, and the workflow itself', () => {
    expect(workspaceSearchUrl('http://127.0.0.1:8233', 'default', 'acme')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows?query=BillingWorkspaceId%3D%22acme%22',
    );
    expect(workspaceSearchTemplate('http://127.0.0.1:8233', 'default')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows?query=BillingWorkspaceId%3D%22<id>%22',
    );
    expect(workspaceWorkflowUrl('http://127.0.0.1:8233', 'default', 'acme')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/workspace-billing%2Facme');
  });
});
