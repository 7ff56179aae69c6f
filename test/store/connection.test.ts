import { expect } from 'chai';
import { redactUrl, resolveStoreUrl } from '../../src/store/connection';
import { UsageError } from '../../src/cli/output';

describe('store connection: which CouchDB knm talks to', function () {
  it('defaults to the embedded store on 127.0.0.1:5984, or KNM_COUCH_PORT', function () {
    expect(resolveStoreUrl({ env: {} })).to.deep.equal({ url: 'http://127.0.0.1:5984', embedded: true, port: 5984 });
    expect(resolveStoreUrl({ env: { KNM_COUCH_PORT: '15984' } })).to.include({ url: 'http://127.0.0.1:15984', embedded: true, port: 15984 });
    expect(resolveStoreUrl({ env: { COUCH_URL: '  ' } }).embedded).to.equal(true);
  });

  it('uses COUCH_URL, and --couch over it, with credentials taken out of the URL', function () {
    const fromEnv = resolveStoreUrl({ env: { COUCH_URL: 'http://knm:p%40ss@couch.example:5984/' } });
    expect(fromEnv).to.deep.include({ url: 'http://couch.example:5984', user: 'knm', password: 'p@ss', embedded: false });
    const fromOption = resolveStoreUrl({ env: { COUCH_URL: 'http://a.example:5984' }, couchOption: 'https://b.example/couch' });
    expect(fromOption.url).to.equal('https://b.example/couch');
  });

  it('takes COUCH_USER / COUCH_PASSWORD when the URL carries no credentials', function () {
    const target = resolveStoreUrl({ env: { COUCH_URL: 'http://couch.example:5984', COUCH_USER: 'ops', COUCH_PASSWORD: 'secret' } });
    expect(target).to.deep.include({ user: 'ops', password: 'secret' });
    expect(resolveStoreUrl({ env: { COUCH_URL: 'http://u:v@couch.example', COUCH_USER: 'ops' } }).user).to.equal('u');
  });

  it('refuses a bad URL or port as a usage error that does not print the password', function () {
    expect(() => resolveStoreUrl({ env: { COUCH_URL: 'ftp://u:hunter2@x' } })).to.throw(UsageError).with.property('message').that.does.not.contain('hunter2');
    expect(() => resolveStoreUrl({ env: { COUCH_URL: 'not a url' } })).to.throw(UsageError);
    expect(() => resolveStoreUrl({ env: { KNM_COUCH_PORT: 'http' } })).to.throw(UsageError, 'KNM_COUCH_PORT');
  });

  it('prints URLs without credentials', function () {
    expect(redactUrl('http://admin:hunter2@127.0.0.1:5984/')).to.equal('http://127.0.0.1:5984');
    expect(redactUrl('garbage //admin:hunter2@host')).to.not.contain('hunter2');
  });
});
