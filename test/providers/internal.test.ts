import { expect } from 'chai';
import type { JsonObject } from '../../src/documents/json';
import type { NumberRecord } from '../../src/documents/types';
import { knmCnamNotifier } from '../../src/providers/cnam-notifier';
import { knmFailover } from '../../src/providers/failover';
import { knmForceOutbound } from '../../src/providers/force-outbound';
import { knmSms } from '../../src/providers/im';
import { knmPortNotifier } from '../../src/providers/port-notifier';
import { knmPrepend } from '../../src/providers/prepend';
import { PROVIDERS } from '../../src/providers/registry';
import { fixtureNumber, RESELLER } from '../helpers/kazoo-roles';
import { recordingContext } from './context';

/** Kazoo's Telnyx fixture number, put in service: no `local`, so every feature is Kazoo's to decide. */
function telnyx(publicFields: JsonObject = {}, features: JsonObject = {}, state: NumberRecord['state'] = 'in_service'): NumberRecord {
  return { ...fixtureNumber('+14352154006'), state, publicFields, features };
}

describe('providers: Kazoo-internal providers (providers.md §7.1–§7.6, §7.9)', () => {
  it('registers one provider per module, ringback none', () => {
    const modules = PROVIDERS.map((provider) => provider.module);
    expect(new Set(modules).size).to.equal(modules.length);
    expect(modules).to.include.members(['knm_prepend', 'knm_failover', 'knm_force_outbound', 'knm_rename_carrier', 'knm_port_notifier', 'knm_cnam_notifier', 'knm_sms', 'knm_mms']);
    expect(modules.some((module) => module.includes('ringback'))).to.equal(false);
  });

  describe('knm_force_outbound (knm_force_outbound_tests)', () => {
    const cases: [string, JsonObject, boolean | undefined][] = [
      ['true', { force_outbound: true }, true],
      ['"blabla"', { force_outbound: 'blabla' }, undefined],
      ['removed', {}, undefined],
      ['"false"', { force_outbound: 'false' }, false],
      ['false', { force_outbound: false }, false],
    ];
    for (const [name, publicFields, expected] of cases) {
      it(`${name} → pvt_features.force_outbound ${String(expected)}`, async () => {
        const saved = await knmForceOutbound.save(telnyx(publicFields, { force_outbound: true }), recordingContext());
        expect(saved.features.force_outbound).to.equal(expected);
        expect(saved.publicFields).to.deep.equal(publicFields);
      });
    }
    it('re-saving an identical number changes nothing', async () => {
      const once = await knmForceOutbound.save(telnyx({ force_outbound: true }), recordingContext());
      expect(await knmForceOutbound.save(once, recordingContext())).to.equal(once);
    });
    it('outside in_service the feature goes', async () => {
      expect((await knmForceOutbound.save(telnyx({ force_outbound: true }, { force_outbound: true }, 'reserved'), recordingContext())).features).to.deep.equal({});
    });
  });

  describe('knm_prepend and knm_failover', () => {
    it('an enabled prepend becomes the feature; disabled, empty or not in service removes it', async () => {
      const prepend = { enabled: true, name: 'ACME' };
      expect((await knmPrepend.save(telnyx({ prepend }), recordingContext())).features).to.deep.equal({ prepend });
      expect((await knmPrepend.save(telnyx({ prepend: { ...prepend, enabled: false } }, { prepend }), recordingContext())).features).to.deep.equal({});
      expect((await knmPrepend.save(telnyx({}, { prepend }), recordingContext())).features).to.deep.equal({});
      expect((await knmPrepend.save(telnyx({ prepend }, { prepend }, 'reserved'), recordingContext())).features).to.deep.equal({});
    });
    it('failover copies the public object in service and drops it elsewhere', async () => {
      const failover = { e164: '+14155550000' };
      expect((await knmFailover.save(telnyx({ failover }), recordingContext())).features).to.deep.equal({ failover });
      expect((await knmFailover.save(telnyx({ failover }, { failover }, 'port_in'), recordingContext())).features).to.deep.equal({});
      expect((await knmFailover.delete(telnyx({ failover }, { failover }), recordingContext())).features).to.deep.equal({});
    });
  });

  describe('knm_cnam_notifier', () => {
    it('a new display name becomes outbound_cnam with one cnam_request notice; the same name again tells nobody', async () => {
      const context = recordingContext({ authBy: RESELLER, prettyPrint: (number) => `pretty ${number}` });
      const saved = await knmCnamNotifier.save(telnyx({ cnam: { display_name: 'ACME', inbound_lookup: true } }, { cnam: {} }), context);
      expect(saved.features).to.deep.equal({ outbound_cnam: { display_name: 'ACME' }, inbound_cnam: { inbound_lookup: true } });
      expect(context.notices).to.deep.equal([
        {
          kind: 'cnam_request',
          number: '+14352154006',
          accountId: RESELLER,
          payload: {
            'Account-ID': RESELLER,
            'Number-State': 'in_service',
            'Local-Number': false,
            Number: 'pretty +14352154006',
            'Acquired-For': RESELLER,
            Cnam: { display_name: 'ACME' },
          },
          supersedes: null,
        },
      ]);
      expect(await knmCnamNotifier.save(saved, context)).to.equal(saved);
      expect(context.notices).to.have.length(1);
    });
    it('dry run activates without a notice; other states are left alone; delete removes all three', async () => {
      const dryRun = recordingContext({ dryRun: true });
      expect((await knmCnamNotifier.save(telnyx({ cnam: { display_name: 'X' } }), dryRun)).features).to.deep.equal({ outbound_cnam: { display_name: 'X' } });
      expect(dryRun.notices).to.deep.equal([]);
      const available = telnyx({ cnam: { display_name: 'X' } }, {}, 'available');
      expect(await knmCnamNotifier.save(available, recordingContext())).to.equal(available);
      const held = telnyx({}, { cnam: {}, inbound_cnam: { inbound_lookup: true }, outbound_cnam: { display_name: 'X' }, prepend: { enabled: true } });
      expect((await knmCnamNotifier.delete(held, recordingContext())).features).to.deep.equal({ prepend: { enabled: true } });
    });
  });

  describe('knm_port_notifier (the clauses Kazoo meant, providers.md §7.5)', () => {
    it('port_in: the public port becomes the feature with one port_request; unchanged tells nobody', async () => {
      const port = { name: 'move us' };
      const context = recordingContext();
      const saved = await knmPortNotifier.save(telnyx({ port }, {}, 'port_in'), context);
      expect(saved.features).to.deep.equal({ port });
      expect(context.notices.map((notice) => [notice.kind, notice.payload.Port, notice.payload['Authorized-By']])).to.deep.equal([['port_request', port, 'system']]);
      expect(await knmPortNotifier.save(saved, context)).to.equal(saved);
      expect(context.notices).to.have.length(1);
    });
    it('in service with the port feature left: a ported notice and the feature goes', async () => {
      const context = recordingContext();
      const saved = await knmPortNotifier.save(telnyx({ port: { name: 'x' } }, { port: { name: 'x' } }), context);
      expect(saved.features).to.deep.equal({});
      expect(context.notices.map((notice) => notice.kind)).to.deep.equal(['ported']);
    });
  });

  describe('knm_sms (knm_im)', () => {
    const carrier = (sms: JsonObject): Record<string, JsonObject> => ({ telnyx: { features: { sms } } });
    it('is offered only in service, assigned, with the carrier flag; settings show flag and activation', () => {
      const number = telnyx();
      expect(knmSms.available?.(number, recordingContext())).to.equal(false);
      const enabled = recordingContext({ settingsByKey: carrier({ enabled: true }) });
      expect(knmSms.available?.(number, enabled)).to.equal(true);
      expect(knmSms.available?.({ ...number, state: 'reserved' }, enabled)).to.equal(false);
      expect(knmSms.settings?.(number, enabled)).to.deep.equal({ enabled: true, activation: 'auto' });
    });
    it('an enabled request becomes the feature; a manual carrier is told once per change', async () => {
      const context = recordingContext({ settingsByKey: carrier({ enabled: true, activation: 'manual', activation_notify_to: ['ops@example.com'] }) });
      const saved = await knmSms.save(telnyx({ sms: { enabled: true } }), context);
      expect(saved.features).to.deep.equal({ sms: { enabled: true } });
      expect(await knmSms.save(saved, context)).to.equal(saved);
      const disabled = await knmSms.save({ ...saved, publicFields: { sms: { enabled: false } } }, context);
      expect(disabled.features).to.deep.equal({});
      expect(context.notices.map((notice) => (notice.payload.Feature as JsonObject).Action)).to.deep.equal(['activate', 'deactivate']);
    });
  });
});
