/** The API view of a number (number-document.md §9). */
import { expect } from 'chai';
import { toPublicJson } from '../../src/documents/public';
import { readNumberDocument } from '../../src/documents/read';
import { readContext, readFixture } from './context';

function recordOf(...parts: string[]) {
  return readNumberDocument(readFixture(...parts), readContext()).record;
}

describe('documents: public view', () => {
  it('shows public fields, state, sorted feature names and the read-only block', () => {
    const record = recordOf('dbs', 'numbers%2F%2B1812', '%2B18122154006.json');
    const view = toPublicJson(record, { available: ['cnam', 'prepend'], settings: { cnam: { display_name: 'Rose Bud' } } });
    expect(view).to.deep.equal({
      cnam: { display_name: 'Rose Bud', inbound_lookup: true },
      prepend: { enabled: true, name: 'Citizen', number: '75657869' },
      state: 'in_service',
      features: ['inbound_cnam', 'outbound_cnam', 'prepend'],
      _read_only: {
        created: 63565911001,
        modified: 63565911000,
        carrier_module: 'vitelity',
        features: { available: ['cnam', 'prepend'], settings: { cnam: { display_name: 'Rose Bud' } } },
      },
    });
    expect(Object.keys(view)).to.deep.equal(['cnam', 'prepend', 'state', 'features', '_read_only']);
  });

  it('overwrites v3 leftover public state/features in place and shows used_by', () => {
    const view = toPublicJson(recordOf('old_vsn', 'old_vsn_6_in.json'));
    expect(view.features).to.deep.equal(['failover', 'local', 'prepend']);
    expect(view.used_by).to.equal('trunkstore');
    expect(Object.keys(view)).to.deep.equal(['failover', 'features', 'prepend', 'state', 'used_by', '_read_only']);
    expect(view._read_only).to.deep.equal({ created: 63640935218, modified: 63640935218, carrier_module: 'local' });
  });

  it('leaves out what is empty and unknown carrier names, and flags a deleted number', () => {
    const record = recordOf('dbs', 'numbers%2F%2B1916', '%2B19162154006.json');
    const view = toPublicJson({ ...record, moduleName: 'blipblop', state: 'deleted' });
    expect(view).to.deep.equal({
      state: 'deleted',
      _read_only: { created: 63565900000, modified: 63565900001, is_deleted: true },
    });
  });
});
