import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configProblems, parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import { apiTokensOf, backendConfigSchema, loadBackendConfig } from '../config.js';
import { API_TOKENS_ENV } from './config.js';

const SCOPES = { checkpoints: { scopes: { shop: { services: ['shop-*'] } } } };
const problems = (value: unknown): string[] => configProblems(backendConfigSchema, value);

describe('api tokens configuration', function () {
  const folder = mkdtempSync(join(tmpdir(), 'rollpoint-api-config-'));
  const file = join(folder, 'backend.yaml');
  afterEach(function () {
    delete process.env[API_TOKENS_ENV];
  });
  after(function () {
    rmSync(folder, { recursive: true, force: true });
  });

  it('has no tokens by default; http.api_token is an admin token named api_token', function () {
    expect(apiTokensOf(parseConfig(backendConfigSchema, {}))).to.deep.equal([]);
    const config = parseConfig(backendConfigSchema, { http: { api_token: 'old-token-0123456789' }, api: { tokens: [{ name: 'grafana', token: 'grafana-token-0123456789', role: 'read', scopes: ['shop'] }] }, ...SCOPES });
    expect(apiTokensOf(config)).to.deep.equal([
      { name: 'grafana', token: 'grafana-token-0123456789', role: 'read', scopes: ['shop'] },
      { name: 'api_token', token: 'old-token-0123456789', role: 'admin' },
    ]);
  });

  it('names each bad key: a role, a short token, an unknown scope, a name or a token given twice', function () {
    expect(problems({ api: { tokens: [{ name: 'a', token: 'short', role: 'reader' }] } })).to.have.members([
      'api.tokens.0.token: must be at least 16 characters',
      'api.tokens.0.role: Invalid option: expected one of "read"|"write"|"admin"',
    ]);
    expect(
      problems({
        ...SCOPES,
        http: { api_token: 'same-token-0123456789' },
        api: {
          tokens: [
            { name: 'b', token: 'b-token-0123456789', role: 'read', scopes: ['shop', 'nope'] },
            { name: 'b', token: 'same-token-0123456789', role: 'write' },
          ],
        },
      }),
    ).to.have.members([
      'api.tokens.0.scopes.1: unknown scope "nope" (configured: default, shop)',
      'api.tokens.1.name: two tokens are named "b": give each its own name',
      'http.api_token: the same token is given twice: give each entry its own token',
    ]);
  });

  it(`takes more tokens from ${API_TOKENS_ENV} (JSON), checked with the file's`, function () {
    writeFileSync(file, JSON.stringify({ ...SCOPES, api: { tokens: [{ name: 'ci', token: 'ci-token-0123456789', role: 'write' }] } }));
    process.env[API_TOKENS_ENV] = JSON.stringify([{ name: 'ops', token: 'ops-token-0123456789', role: 'admin' }]);
    expect(loadBackendConfig(file).api.tokens.map((t) => `${t.name}:${t.role}`)).to.deep.equal(['ci:write', 'ops:admin']);
    process.env[API_TOKENS_ENV] = JSON.stringify([{ name: 'ci', token: 'other-token-0123456789', role: 'read', scopes: ['nope'] }]);
    expect(() => loadBackendConfig(file)).to.throw(ConfigError).with.property('problems').that.has.members([
      `${API_TOKENS_ENV}.0.name: two tokens are named "ci": give each its own name`,
      `${API_TOKENS_ENV}.0.scopes.0: unknown scope "nope" (configured: default, shop)`,
    ]);
    process.env[API_TOKENS_ENV] = '[{"name": "x", "role": "read"}]';
    expect(() => loadBackendConfig(file)).to.throw(ConfigError).with.property('problems').that.deep.equals([`${API_TOKENS_ENV}.0.token: Invalid input: expected string, received undefined`]);
    process.env[API_TOKENS_ENV] = 'name=x';
    expect(() => loadBackendConfig(file)).to.throw(ConfigError, `${API_TOKENS_ENV}: not valid JSON`);
  });

  it(`tells where ${API_TOKENS_ENV} is not JSON, never what it holds (a token)`, function () {
    writeFileSync(file, JSON.stringify(SCOPES));
    const refusals = (text: string): readonly string[] => {
      process.env[API_TOKENS_ENV] = text;
      return (() => {
        try {
          loadBackendConfig(file);
        } catch (err) {
          return (err as ConfigError).problems;
        }
        return expect.fail(`${text} should have been refused`);
      })();
    };
    const secret = 'secret-token-0123456789';
    for (const text of [secret, `[{"name": "ops", "token": "${secret}`, `[{"name": "ops", "token": "${secret}", role: "admin"}]`, `${secret}]`, `[{"token": "${secret}"}]]`]) {
      const [problem, ...rest] = refusals(text);
      expect(rest).to.deep.equal([]);
      expect(problem).to.match(new RegExp(`^${API_TOKENS_ENV}: not valid JSON( \\(at position \\d+\\))?; it takes a list like`));
      expect(problem).not.to.include('secret');
    }
    // Where the unquoted key starts.
    expect(refusals(`[{"name": "ops", "token": "${secret}", role: "admin"}]`)[0]).to.include('(at position 53)');
  });
});
