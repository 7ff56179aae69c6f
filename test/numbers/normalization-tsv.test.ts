/**
 * Every row of fixtures/normalization/*.tsv (Kazoo 4.3's own outputs) under the config it was
 * computed with. One mocha test per row.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { readNumberManagerConfig } from '../../src/config/number-manager';
import { toDb } from '../../src/numbers/db-names';
import { compileNumberRules, NumberRules } from '../../src/numbers/rules';
import { FIXTURES_DIR } from '../helpers/fixtures';

const NORMALIZATION_DIR = path.join(FIXTURES_DIR, 'normalization');

interface Table {
  columns: string[];
  rows: string[][];
}

/** Comment lines start with `#`; the header names the columns; `\n` in a cell is a newline. */
function readTable(file: string): Table {
  const lines = fs
    .readFileSync(path.join(NORMALIZATION_DIR, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  const [header, ...rows] = lines;
  return {
    columns: header.split('\t'),
    rows: rows.map((row) => row.split('\t').map((cell) => cell.replace(/\\n/g, '\n'))),
  };
}

/** What each column means, as a function of the input. */
function columnValue(rules: NumberRules, column: string, input: string): string {
  switch (column) {
    case 'normalize':
      return rules.normalize(input);
    case 'to_npan':
      return rules.toNpan(input);
    case 'to_1npan':
      return rules.to1Npan(input);
    case 'to_db(normalize(input))':
      return toDb(rules.normalize(input)) ?? 'undefined';
    case 'is_reconcilable':
      return String(rules.isReconcilable(input));
    case 'classify':
      return rules.classify(input) ?? 'undefined';
    case 'pretty_print':
      return rules.prettyPrint(input);
    default:
      throw new Error(`unknown column ${column}`);
  }
}

/** The config of the crossbar schema's defaults: `default` holds each property's schema default. */
function schemaDefaultsDocument(): Record<string, unknown> {
  const schema = JSON.parse(
    fs.readFileSync(path.join(FIXTURES_DIR, 'schemas', '4.3', 'system_config.number_manager.json'), 'utf8'),
  ) as { properties: Record<string, { default?: unknown }> };
  const section: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    if (property.default !== undefined) section[key] = property.default;
  }
  return { _id: 'number_manager', default: section };
}

/** 3.x / 4.0 code defaults (FACTS §3.2 left column, §3.5 "3.x / 4.0" column). */
const V3_AND_4_0_DOCUMENT = {
  _id: 'number_manager',
  default: {
    e164_converters: {
      '^\\+?1?([2-9][0-9]{2}[2-9][0-9]{6})$': { prefix: '+1' },
      '^011(\\d*)$|^00(\\d*)$': { prefix: '+' },
      '^[2-9]\\d{7,}$': { prefix: '+' },
    },
    reconcile_regex: '^\\+?1?\\d{10}$|^\\+[2-9]\\d{7,}$|^011\\d*$|^00\\d*$',
    classifiers: {
      tollfree_us: { regex: '^\\+1((?:800|888|877|866|855)\\d{7})$', friendly_name: 'US TollFree', pretty_print: 'SS(###) ### - ####' },
      toll_us: { regex: '^\\+1(900\\d{7})$', friendly_name: 'US Toll', pretty_print: 'SS(###) ### - ####' },
      emergency: { regex: '^(911)$', friendly_name: 'Emergency Dispatcher' },
      caribbean: {
        regex:
          '^\\+?1((?:684|264|268|242|246|441|284|345|767|809|829|849|473|671|876|664|670|787|939|869|758|784|721|868|649|340)\\d{7})$',
        friendly_name: 'Caribbean',
        pretty_print: 'SS(###) ### - ####',
      },
      did_us: { regex: '^\\+?1?([2-9][0-9]{2}[2-9][0-9]{6})$', friendly_name: 'US DID', pretty_print: 'SS(###) ### - ####' },
      international: { regex: '^(011\\d*)$|^(00\\d*)$', friendly_name: 'International' },
      unknown: { regex: '^(.*)$', friendly_name: 'Unknown' },
    },
  },
};

const TABLES: { file: string; document: () => unknown }[] = [
  { file: 'kazoo-4.3-defaults.tsv', document: () => undefined },
  { file: 'kazoo-4.3-schema-order-classifiers.tsv', document: schemaDefaultsDocument },
  { file: 'v3-and-4.0-defaults.tsv', document: () => V3_AND_4_0_DOCUMENT },
];

describe('numbers: Kazoo 4.3 outputs in fixtures/normalization', () => {
  for (const { file, document } of TABLES) {
    describe(file, () => {
      const table = readTable(file);
      const { config, problems: configProblems } = readNumberManagerConfig(document());
      const { rules, problems } = compileNumberRules(config);

      it('the config loads without problems and the table has rows', () => {
        expect(configProblems).to.deep.equal([]);
        expect(problems).to.deep.equal([]);
        expect(table.rows.length).to.be.greaterThan(30);
        expect(table.columns[0]).to.equal('input');
      });

      for (const row of table.rows) {
        const input = row[0];
        it(`${JSON.stringify(input)}`, () => {
          const expected: Record<string, string> = {};
          const actual: Record<string, string> = {};
          table.columns.slice(1).forEach((column, index) => {
            expected[column] = row[index + 1];
            actual[column] = columnValue(rules, column, input);
          });
          expect(actual).to.deep.equal(expected);
        });
      }
    });
  }

  it('schema order really is alphabetical (did_us before tollfree_us), so the toll-free rows test order', () => {
    const { config } = readNumberManagerConfig(schemaDefaultsDocument());
    const names = Object.keys(config.classifiers);
    expect(names.indexOf('did_us')).to.be.lessThan(names.indexOf('tollfree_us'));
  });
});
