import { expect } from 'chai';
import { connectStore } from '../../src/store/client';
import { isStoreError } from '../../src/store/errors';
import { scrubCredentials } from '../../src/store/scrub';

describe('store: credentials scrubbed from messages, and nothing else', function () {
  it('masks the password of any URL, keeping the scheme, the user and the rest of the message', function () {
    expect(scrubCredentials('GET http://knm:s3cr3t@couch:5984/_all_dbs failed', [])).to.equal('GET http://knm:***@couch:5984/_all_dbs failed');
    expect(scrubCredentials('to https://a:b@x and couchdb://c:d@y/z', [])).to.equal('to https://a:***@x and couchdb://c:***@y/z');
    // an unencoded @ in the password: the whole of it up to the host goes
    expect(scrubCredentials('http://u:p@ss@host/db', ['p@ss'])).to.equal('http://u:***@host/db');
    expect(scrubCredentials('http://couch:5984/db?x=a@b', [])).to.equal('http://couch:5984/db?x=a@b');
  });

  it('a short password does not mangle words that contain it', function () {
    expect(scrubCredentials('Error: bad port', ['p'])).to.equal('Error: bad port');
    expect(scrubCredentials('password was p; bad port', ['p'])).to.equal('password was ***; bad port');
    expect(scrubCredentials('abc-def', ['abc'])).to.equal('***-def');
  });

  it('a long password is masked wherever it stands as a token', function () {
    const secret = 'wr0ng-Pa55word!';
    expect(scrubCredentials(`auth ${secret} refused ("${secret}")`, [secret])).to.equal('auth *** refused ("***")');
  });

  it('a URL-encoded password is masked in both forms', function () {
    expect(scrubCredentials('user=knm password=p%40ss, then p@ss', ['p@ss', 'p%40ss'])).to.equal('user=knm password=***, then ***');
    expect(scrubCredentials('http://knm:p%40ss@couch/db', ['p@ss', 'p%40ss'])).to.equal('http://knm:***@couch/db');
  });

  it('a password that is a common word is masked as a word, never inside other words', function () {
    expect(scrubCredentials('connect refused: connection refused', ['connect'])).to.equal('*** refused: connection refused');
  });

  it('the store: COUCH_URL=http://u:con@127.0.0.1:1 reports "connect ECONNREFUSED", not "***nect"', async function () {
    const store = connectStore({ url: 'http://u:con@127.0.0.1:1', readAttempts: 1 });
    const error: unknown = await store.info().then(() => undefined, (failure: unknown) => failure);
    expect(isStoreError(error)).to.equal(true);
    const message = (error as Error).message;
    expect(message).to.contain('connect ECONNREFUSED').and.contain('http://127.0.0.1:1').and.not.contain('***nect').and.not.contain('u:con@');
  });
});
