import { configProblems, parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import { backendConfigSchema } from '../config.js';

const problems = (value: unknown): string[] => configProblems(backendConfigSchema, value);

describe('webhooks configuration', function () {
  it('has none by default; a webhook needs only its URL, named after its host', function () {
    expect(parseConfig(backendConfigSchema, {}).webhooks).to.deep.equal([]);
    const [webhook] = parseConfig(backendConfigSchema, { webhooks: [{ url: 'https://alerts.example.com/hook' }] }).webhooks;
    expect(webhook).to.deep.equal({
      name: 'alerts.example.com',
      url: 'https://alerts.example.com/hook',
      scopes: [],
      timeout: 5000,
      retry_on_failure: { initial_interval: 1000, max_interval: 60000, multiplier: 2, randomization_factor: 0.2, max_attempts: 8 },
    });
  });

  it('names each bad key: a URL that is not http(s), a short secret, an unknown scope, two webhooks of one name', function () {
    // An entry that failed is still checked against the scopes.
    expect(
      problems({
        checkpoints: { scopes: { shop: { services: ['shop-*'] } } },
        webhooks: [
          { url: 'ftp://example.com/x' },
          { url: 'https://a.example.com/1', secret: 'short', scopes: ['shop', 'nope'], retry_on_failure: { max_attempts: 0 } },
        ],
      }),
    ).to.have.members([
      'webhooks.0.url: Invalid URL',
      'webhooks.1.secret: must be at least 16 characters',
      'webhooks.1.retry_on_failure.max_attempts: Too small: expected number to be >0',
      'webhooks.1.scopes.1: unknown scope "nope" (configured: default, shop)',
    ]);
    expect(problems({ checkpoints: { scopes: { shop: { services: ['shop-*'] } } }, webhooks: [{ url: 'https://a.example.com/1', scopes: ['shop', 'nope'] }, { url: 'https://a.example.com/2' }] })).to.have.members([
      'webhooks.1.name: two webhooks are named "a.example.com": give each its own name',
      'webhooks.0.scopes.1: unknown scope "nope" (configured: default, shop)',
    ]);
  });
});
