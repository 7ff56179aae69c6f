import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { withAccountOverrides } from '../../src/config/account-overrides';
import { readCarrierConfig } from '../../src/config/carrier';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { defaultTasksConfig, defaultTasksDocument, readTasksConfig } from '../../src/config/tasks';
import { KnmError } from '../../src/errors';
import { FIXTURES_DIR } from '../helpers/fixtures';

const readFixture = (...parts: string[]): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, ...parts), 'utf8'));

describe('config/tasks', () => {
  it('defaults: discovery 1 day, aging 90 days, crawl daily', () => {
    expect(readTasksConfig(undefined)).to.deep.equal({
      config: { discovery_expiry_d: 1, aging_expiry_d: 90, crawler_timer_ms: 86400000 },
      problems: [],
    });
  });

  it('legacy number_manager keys are read only when tasks lacks the key (FACTS §11 row 11)', () => {
    const numberManager = { _id: 'number_manager', default: { discovery_expiry_d: 90, aging_expiry_d: 30 } };
    const tasks = { _id: 'tasks', default: { discovery_expiry_d: 2 } };
    const { config, problems } = readTasksConfig(tasks, numberManager);
    expect(problems).to.deep.equal([]);
    expect(config).to.deep.equal({ discovery_expiry_d: 2, aging_expiry_d: 30, crawler_timer_ms: 86400000 });
  });

  it('a tasks value in a node section beats a legacy value in default', () => {
    const numberManager = { default: { discovery_expiry_d: 90 } };
    const tasks = { 'kazoo_apps@h': { discovery_expiry_d: 3 } };
    expect(readTasksConfig(tasks, numberManager, { node: 'kazoo_apps@h' }).config.discovery_expiry_d).to.equal(3);
    expect(readTasksConfig(tasks, numberManager).config.discovery_expiry_d).to.equal(90);
  });

  it('0 is allowed (schema minimum 0); a wrong type is reported with the key it came from', () => {
    const { config, problems } = readTasksConfig({ default: { discovery_expiry_d: 0 } }, { default: { aging_expiry_d: 'long' } });
    expect(config.discovery_expiry_d).to.equal(0);
    expect(config.aging_expiry_d).to.equal(90);
    expect(problems).to.have.length(1);
    expect(problems[0].key).to.equal('number_manager.aging_expiry_d');
  });

  it('defaultTasksDocument reads back as the defaults', () => {
    const written = defaultTasksDocument();
    expect(written).to.include({ _id: 'tasks', pvt_type: 'config' });
    expect(readTasksConfig(written).config).to.deep.equal(defaultTasksConfig());
  });
});

describe('config/carrier', () => {
  it("Kazoo's fixture number_manager.vitelity", () => {
    expect(readCarrierConfig(readFixture('dbs', 'system_config', 'number_manager.vitelity.json'), 'vitelity')).to.deep.equal({
      routesip: '1.2.3.4',
    });
    expect(readCarrierConfig(readFixture('dbs', 'system_config', 'number_manager.vitelity.json'), 'knm_vitelity')).to.deep.equal({
      routesip: '1.2.3.4',
    });
  });

  it('node keys override default keys one by one', () => {
    const doc = { _id: 'number_manager.telnyx', default: { token: 'a', sandbox_provisioning: true }, 'n@h': { token: 'b' } };
    expect(readCarrierConfig(doc, 'telnyx', { node: 'n@h' })).to.deep.equal({ token: 'b', sandbox_provisioning: true });
    expect(readCarrierConfig(doc, 'telnyx')).to.deep.equal({ token: 'a', sandbox_provisioning: true });
  });

  it('no document → {}; the wrong document → bad_config', () => {
    expect(readCarrierConfig(undefined, 'telnyx')).to.deep.equal({});
    expect(() => readCarrierConfig({ _id: 'number_manager.vitelity', default: {} }, 'telnyx'))
      .to.throw(KnmError)
      .with.property('error', 'bad_config');
  });
});

describe('config/account-overrides (configs_number_manager)', () => {
  const system = defaultNumberManagerConfig();
  // The master account's configs_number_manager in Kazoo's fixturedb (providers.md §5).
  const fixtureAccountConfig = {
    _id: 'configs_number_manager',
    cnam_provider: 'knm_telnyx_cnam',
    e911_provider: 'knm_telnyx_e911',
    pvt_type: 'account_config',
  };

  it('get_from_reseller: cnam/e911 providers and features come from the reseller, never the account', () => {
    const { config, problems } = withAccountOverrides(system, fixtureAccountConfig, { cnam_provider: 'knm_vitelity_cnam', features: { allow: ['sms'] } });
    expect(problems).to.deep.equal([]);
    expect(config.cnam_provider).to.equal('knm_telnyx_cnam');
    expect(config.e911_provider).to.equal('knm_telnyx_e911');
    expect(config.features.allow).to.deep.equal(system.features.allow);
  });

  it('a reseller allow list wins even when empty; deny lists have legacy names mapped', () => {
    const { config } = withAccountOverrides(system, { features: { allow: [], deny: ['dash_e911'] } });
    expect(config.features).to.deep.equal({ allow: [], deny: ['e911'] });
    expect(system.features.allow).to.not.deep.equal([]);
  });

  it('get_global: e164_converters and reconcile_regex from the account, else the reseller, else the system', () => {
    const reseller = { e164_converters: { '^0(\\d{9})$': { prefix: '+33' } }, reconcile_regex: '^\\+33' };
    const account = { reconcile_regex: '^\\+44' };
    const { config } = withAccountOverrides(system, reseller, account);
    expect(config.reconcile_regex).to.equal('^\\+44');
    expect(config.e164_converters).to.deep.equal({ '^0(\\d{9})$': { prefix: '+33' } });
    const systemOnly = withAccountOverrides(system).config;
    expect(systemOnly).to.deep.equal(system);
  });

  it('wrong types are reported with where they came from', () => {
    const { config, problems } = withAccountOverrides(system, { cnam_provider: 7 }, { e164_converters: 'x' });
    expect(problems.map((problem) => problem.key)).to.deep.equal(['account.e164_converters', 'reseller.cnam_provider']);
    expect(config.cnam_provider).to.equal('knm_cnam_notifier');
    expect(config.e164_converters).to.deep.equal(system.e164_converters);
  });
});
