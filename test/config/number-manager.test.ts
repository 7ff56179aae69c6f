import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {
  ALL_KNM_FEATURES,
  defaultNumberManagerConfig,
  defaultNumberManagerDocument,
  readNumberManagerConfig,
} from '../../src/config/number-manager';
import { FIXTURES_DIR } from '../helpers/fixtures';

const readFixture = (...parts: string[]): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, ...parts), 'utf8'));
const doc = (sections: Record<string, unknown>) => ({ _id: 'number_manager', ...sections });

describe('config/number-manager', () => {
  it('no document: every code default, no problems', () => {
    const { config, problems } = readNumberManagerConfig(undefined);
    expect(problems).to.deep.equal([]);
    expect(config).to.deep.equal(defaultNumberManagerConfig());
    expect(config.carrier_modules).to.deep.equal(['knm_local']);
    expect(config.features.allow).to.deep.equal([...ALL_KNM_FEATURES]);
    expect(config.features.deny).to.equal(undefined);
    expect(config.released_state).to.equal('available');
    expect(config.force_local_outbound).to.equal(true);
  });

  it("Kazoo's fixture system_config/number_manager loads", () => {
    const { config, problems } = readNumberManagerConfig(readFixture('dbs', 'system_config', 'number_manager.json'));
    expect(problems).to.deep.equal([]);
    expect(config.port_in_module_name).to.equal('knm_local');
    expect(config.maximum_search_quantity).to.equal(500);
  });

  it('the code defaults agree with the 4.3 crossbar schema, except the documented differences', () => {
    const schema = readFixture('schemas', '4.3', 'system_config.number_manager.json') as {
      properties: Record<string, { default?: unknown }>;
    };
    const section: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties)) {
      if (property.default !== undefined) section[key] = property.default;
    }
    const { config, problems } = readNumberManagerConfig(doc({ default: section }));
    expect(problems).to.deep.equal([]);
    const defaults = defaultNumberManagerConfig();
    // config.md §1: the schema spells "US Tollfree" and sorts the classifiers alphabetically.
    expect(config.classifiers.tollfree_us).to.deep.equal({ ...(defaults.classifiers.tollfree_us as object), friendly_name: 'US Tollfree' });
    const { classifiers: _schemaClassifiers, ...schemaRest } = config;
    const { classifiers: _codeClassifiers, ...codeRest } = defaults;
    expect(schemaRest).to.deep.equal(codeRest);
    expect(Object.keys(config.classifiers)).to.deep.equal(Object.keys(defaults.classifiers).sort());
  });

  describe('per-key lookup node → zone → default → code default', () => {
    const layered = doc({
      'kazoo_apps@a.example': { should_age: 'true' },
      zone1: { should_age: false, maximum_search_quantity: 20 },
      default: { should_age: false, maximum_search_quantity: 10, released_state: 'aging' },
    });

    it('the node section wins, then the zone, then default', () => {
      const both = readNumberManagerConfig(layered, { node: 'kazoo_apps@a.example', zone: 'zone1' }).config;
      expect(both.should_age).to.equal(true);
      expect(both.maximum_search_quantity).to.equal(20);
      expect(both.released_state).to.equal('aging');
      const zoneOnly = readNumberManagerConfig(layered, { zone: 'zone1' }).config;
      expect(zoneOnly.should_age).to.equal(false);
      expect(zoneOnly.maximum_search_quantity).to.equal(20);
      const none = readNumberManagerConfig(layered).config;
      expect(none.maximum_search_quantity).to.equal(10);
      expect(none.number_search_timeout_ms).to.equal(5000);
    });

    it('null counts as absent', () => {
      const { config } = readNumberManagerConfig(doc({ 'n@h': { should_age: null }, default: { should_age: true } }), { node: 'n@h' });
      expect(config.should_age).to.equal(true);
    });
  });

  describe('values read the way Kazoo reads them', () => {
    it('booleans with get_is_true: true and "true"; anything else is false and reported unless false/"false"', () => {
      const { config, problems } = readNumberManagerConfig(
        doc({ default: { should_age: 'true', should_permanently_delete: 'false', force_local_outbound: 1 } }),
      );
      expect(config.should_age).to.equal(true);
      expect(config.should_permanently_delete).to.equal(false);
      expect(config.force_local_outbound).to.equal(false);
      expect(problems).to.have.length(1);
      expect(problems[0].key).to.equal('force_local_outbound');
      expect(problems[0].reason).to.match(/get_is_true/);
    });

    it('legacy key names: porting_module_name, force_wnm_local_outbound; the 4.x name wins', () => {
      const legacy = readNumberManagerConfig(doc({ default: { porting_module_name: 'knm_bandwidth2', force_wnm_local_outbound: false } })).config;
      expect(legacy.port_in_module_name).to.equal('knm_bandwidth2');
      expect(legacy.force_local_outbound).to.equal(false);
      const both = readNumberManagerConfig(doc({ default: { porting_module_name: 'knm_bandwidth2', port_in_module_name: 'knm_telnyx' } })).config;
      expect(both.port_in_module_name).to.equal('knm_telnyx');
    });

    it('carrier_modules defaults to [available_module_name]', () => {
      const { config } = readNumberManagerConfig(doc({ default: { available_module_name: 'knm_telnyx' } }));
      expect(config.carrier_modules).to.deep.equal(['knm_telnyx']);
      const explicit = readNumberManagerConfig(doc({ default: { available_module_name: 'knm_telnyx', carrier_modules: ['knm_local', 'knm_other'] } }));
      expect(explicit.config.carrier_modules).to.deep.equal(['knm_local', 'knm_other']);
    });

    it('providers (legacy names mapped) is the default of features.allow; a non-empty features.allow wins', () => {
      const legacy = readNumberManagerConfig(doc({ default: { providers: ['wnm_dash_e911', 'cnam_notifier', 'knm_failover', 'knm_port_notifier'] } }));
      expect(legacy.problems).to.deep.equal([]);
      expect(legacy.config.features.allow).to.deep.equal(['e911', 'cnam', 'failover', 'port']);
      const both = readNumberManagerConfig(doc({ default: { providers: ['dash_e911'], features: { allow: ['prepend'], deny: ['vitelity_cnam'] } } }));
      expect(both.config.features).to.deep.equal({ allow: ['prepend'], deny: ['cnam'] });
      const empty = readNumberManagerConfig(doc({ default: { providers: ['dash_e911'], features: { allow: [] } } }));
      expect(empty.config.features.allow).to.deep.equal(['e911']);
    });

    it('integers accept integer strings; wrong types and values below the minimum are reported and defaulted', () => {
      const { config, problems } = readNumberManagerConfig(
        doc({ default: { maximum_search_quantity: '250', number_search_timeout_ms: 'soon', parallel_jobs_count: 0, time_between_db_ms: 1.5 } }),
      );
      expect(config.maximum_search_quantity).to.equal(250);
      expect(config.number_search_timeout_ms).to.equal(5000);
      expect(config.parallel_jobs_count).to.equal(1);
      expect(config.time_between_db_ms).to.equal(50);
      expect(problems.map((problem) => problem.key)).to.deep.equal(['number_search_timeout_ms', 'time_between_db_ms', 'parallel_jobs_count']);
    });

    it('released_state must be a number state', () => {
      const { config, problems } = readNumberManagerConfig(doc({ default: { released_state: 'gone' } }));
      expect(config.released_state).to.equal('available');
      expect(problems).to.have.length(1);
      expect(problems[0]).to.include({ key: 'released_state' });
    });

    it('a wrong type for one key is reported with its key; the rest loads', () => {
      const { config, problems } = readNumberManagerConfig(
        doc({ default: { e164_converters: '^1', reconcile_regex: 5, classifiers: ['x'], carrier_modules: 'knm_local', should_age: true } }),
      );
      expect(problems.map((problem) => problem.key).sort()).to.deep.equal(['carrier_modules', 'classifiers', 'e164_converters', 'reconcile_regex']);
      expect(config.e164_converters).to.deep.equal(defaultNumberManagerConfig().e164_converters);
      expect(config.classifiers).to.deep.equal(defaultNumberManagerConfig().classifiers);
      expect(config.carrier_modules).to.deep.equal(['knm_local']);
      expect(config.should_age).to.equal(true);
    });

    it('bad entries inside classifiers and converters are skipped one by one', () => {
      const { config, problems } = readNumberManagerConfig(
        doc({
          default: {
            e164_converters: { '^a$': 'nope', '^(\\d{7})$': { prefix: 1, suffix: '' }, '^b$': { prefix: ['x'] } },
            classifiers: { bad: 42, worse: { regex: 7 }, ok: { regex: '^1', pretty_print: 3, emergency: 'true' }, legacy: '^2' },
          },
        }),
      );
      expect(config.e164_converters).to.deep.equal({ '^(\\d{7})$': { prefix: '1', suffix: '' } });
      expect(config.classifiers).to.deep.equal({ ok: { regex: '^1', emergency: true }, legacy: '^2' });
      expect(problems.map((problem) => problem.key)).to.deep.equal([
        'e164_converters',
        'e164_converters',
        'classifiers.bad',
        'classifiers.worse.regex',
        'classifiers.ok.pretty_print',
      ]);
      expect(problems[0]).to.include({ pattern: '^a$' });
    });

    it('a document that is not an object is reported and the defaults apply', () => {
      const { config, problems } = readNumberManagerConfig(['not', 'a', 'doc']);
      expect(problems).to.have.length(1);
      expect(config).to.deep.equal(defaultNumberManagerConfig());
    });
  });

  describe('ordered objects keep their stored key order', () => {
    it('regex keys and classifier names survive JSON.parse in stored order', () => {
      const text =
        '{"_id":"number_manager","default":{"classifiers":{"zeta":"^1","did_us":"^2","alpha":"^3"},' +
        '"e164_converters":{"^9(\\\\d+)$":{"prefix":"+"},"^0(\\\\d+)$":{"prefix":"+33"},"^(\\\\d+)$":{}}}}';
      const { config, problems } = readNumberManagerConfig(JSON.parse(text));
      expect(problems).to.deep.equal([]);
      expect(Object.keys(config.classifiers)).to.deep.equal(['zeta', 'did_us', 'alpha']);
      expect(Object.keys(config.e164_converters)).to.deep.equal(['^9(\\d+)$', '^0(\\d+)$', '^(\\d+)$']);
    });

    it('integer-like keys, which JavaScript moves first, are reported', () => {
      const { config, problems } = readNumberManagerConfig(JSON.parse('{"default":{"classifiers":{"unknown":"^(.*)$","911":"^911$"}}}'));
      expect(Object.keys(config.classifiers)).to.deep.equal(['911', 'unknown']);
      expect(problems).to.have.length(1);
      expect(problems[0].key).to.equal('classifiers');
      expect(problems[0].reason).to.match(/"911"/);
    });
  });

  describe('defaultNumberManagerDocument', () => {
    it('has the shape of Kazoo config documents and every default under `default`', () => {
      const written = defaultNumberManagerDocument();
      expect(Object.keys(written)).to.deep.equal(['_id', 'default', 'pvt_account_db', 'pvt_account_id', 'pvt_type']);
      expect(written).to.include({ _id: 'number_manager', pvt_account_db: 'system_config', pvt_account_id: 'system_config', pvt_type: 'config' });
      const section = written.default as Record<string, unknown>;
      expect(section.features).to.deep.equal({ allow: [...ALL_KNM_FEATURES] });
      expect(section).to.not.have.property('providers');
      expect(Object.keys(section.classifiers as object)[0]).to.equal('tollfree_us');
    });

    it('reads back as the code defaults, also after a JSON round trip', () => {
      const roundTripped = JSON.parse(JSON.stringify(defaultNumberManagerDocument({ now: 63900000000, node: 'knm@host' })));
      expect(roundTripped).to.include({ pvt_created: 63900000000, pvt_modified: 63900000000, pvt_node: 'knm@host' });
      const { config, problems } = readNumberManagerConfig(roundTripped);
      expect(problems).to.deep.equal([]);
      expect(config).to.deep.equal(defaultNumberManagerConfig());
    });
  });
});
