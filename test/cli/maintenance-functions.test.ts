/** The sup function table against Kazoo's maintenance module as the facts list it, and the README's command list. */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { MAINTENANCE_FUNCTIONS } from '../../src/cli/maintenance-functions';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/fixtures';

/** Calls the facts quote inside §1 that are not maintenance functions, and the one knm does not run (README says why). */
const NOT_RUN = new Set(['all_docs', 'to_db', 'generate_js_classifiers']);

describe('cli: the maintenance function table', () => {
  it("runs every function of maintenance-and-tasks.md §1 (kazoo_numbers_maintenance) under Kazoo's name", () => {
    const facts = fs.readFileSync(path.join(FIXTURES_DIR, '..', 'maintenance-and-tasks.md'), 'utf8');
    const section = facts.slice(facts.indexOf('## 1. Maintenance commands'), facts.indexOf('## 2.'));
    const named = new Set([...section.matchAll(/`([a-z_]+)\(/g)].map((match) => match[1]).filter((name) => !NOT_RUN.has(name)));
    expect(named.size).to.be.greaterThan(50);
    const known = new Set(MAINTENANCE_FUNCTIONS.map((fn) => fn.name));
    expect([...named].filter((name) => !known.has(name))).to.deep.equal([]);
  });

  it('has a readable command for each, listed in the README', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const commands = MAINTENANCE_FUNCTIONS.map((fn) => fn.readable ?? fn.name.replace(/_/g, '-'));
    expect(commands.filter((command) => !readme.includes(`\`${command}`))).to.deep.equal([]);
  });
});
