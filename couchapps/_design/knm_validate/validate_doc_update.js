function (newDoc, oldDoc, userCtx, secObj) {
  // knm's write-time check for every number database (numbers/+CCNN, numbers/managed, numbers/inum).
  // It refuses what no Kazoo version writes and accepts everything Kazoo 3.x-4.3 and its tools do write.
  // Plain ES5 on purpose: CouchDB 3 runs it in SpiderMonkey, the embedded server in node.
  // Facts cited below: /work/shared/kazoo (FACTS.md, states.md, carriers.md).

  var STATES = ['discovery', 'available', 'reserved', 'in_service', 'port_in', 'port_out', 'released', 'aging', 'deleted'];

  // States a pool document (numbers/managed, numbers/inum) takes: generate_numbers writes available, the carrier's
  // acquire copies the number's state (in_service or reserved), disconnect writes available (managed) or released
  // (inum). [carriers.md §4.3 knm_managed, §4.6 knm_inum; FACTS §5]
  var POOL_STATES = ['available', 'reserved', 'in_service', 'released'];

  // Every change of state some Kazoo version makes, as [from, to, condition]. '*' = from any state; condition
  // 'knm_local' = only for numbers whose module is knm_local. Keeping the state is always allowed.
  // Not listed, hence refused: into discovery or port_in from another state (both are only ever created),
  // port_in to port_out, anything to deleted except a 3.x release, port_out from a number not in use.
  var TRANSITIONS = [
    // knm_states:to_options_state/1 - create, move, reserve [states.md §5; FACTS §4.4]
    ['discovery', 'reserved'], ['available', 'reserved'], ['in_service', 'reserved'],
    ['discovery', 'in_service'], ['available', 'in_service'], ['aging', 'in_service'],
    ['port_in', 'in_service'], ['reserved', 'in_service'],
    ['available', 'aging'], ['released', 'aging'],
    // release from reserved/in_service/port_in/released: history unwinds to the previous holder (reserved), else
    // released_state (available by default, or released), then aging when should_age [knm_ops:release/2;
    // states.md §6.5; FACTS §4.5]
    ['reserved', 'available'], ['reserved', 'released'], ['reserved', 'aging'],
    ['in_service', 'available'], ['in_service', 'released'], ['in_service', 'aging'],
    ['port_in', 'reserved'], ['port_in', 'available'], ['port_in', 'released'], ['port_in', 'aging'],
    // (released -> available is also 3.x's admin move "available <- released" [FACTS §10.4])
    ['released', 'reserved'], ['released', 'available'],
    // release of a knm_local number is allowed from any state (can_release); it ends reserved to the previous
    // holder or the document is deleted [knm_ops:can_release/2; states.md §6.5 step 2]
    ['*', 'reserved', 'knm_local'],
    // tasks crawler: aging -> available once aging_expiry_d has passed [kt_number_crawler; FACTS §4.8]
    ['aging', 'available'],
    // 4.3 knm_number:reconcile sets in_service from any state; the first-call port completion sets it with a raw
    // setter [FACTS §4.3; states.md §7 compatibility_transition/2]
    ['*', 'in_service'],
    // port_out is only ever set by direct setters [states.md §1, §7]; knm's reading: only a number in use
    // (in_service, or reserved to an account) can be ported away
    ['in_service', 'port_out'], ['reserved', 'port_out'],
    // 3.x release with should_permanently_delete persisted state deleted (3.22 also from port_in)
    // [3.22 wnm_number.erl released/1; FACTS §10.4, §11 row 12]
    ['reserved', 'deleted'], ['in_service', 'deleted'], ['port_in', 'deleted']
  ];

  function refuse(reason) {
    throw ({ forbidden: 'knm: ' + reason });
  }

  function has(list, value) {
    for (var i = 0; i < list.length; i++) if (list[i] === value) return true;
    return false;
  }

  function isObject(value) {
    return value !== null && typeof value === 'object' && Object.prototype.toString.call(value) !== '[object Array]';
  }

  function isArray(value) {
    return Object.prototype.toString.call(value) === '[object Array]';
  }

  function show(value) {
    return value === undefined ? 'nothing' : JSON.stringify(value);
  }

  // CouchDB 3 gives the clustered name (mem3:dbname); tolerate a URL-encoded or shard-file form as well, and the
  // storage name knm's embedded server gives PouchDB ('/' as '$2f', '$' as '$24': src/store/embedded/db-names.ts).
  function plainDbName(name) {
    if (typeof name !== 'string') return null;
    if (name.indexOf('numbers$2f') === 0) name = name.replace(/\$2f/g, '/').replace(/\$24/g, '$');
    var shard = /^shards\/[0-9a-f]+-[0-9a-f]+\/(.*)\.[0-9]+$/.exec(name);
    if (shard) name = shard[1];
    if (name.indexOf('%') !== -1) {
      try { name = decodeURIComponent(name); } catch (e) { return name; }
    }
    return name;
  }

  // Kazoo 4.3 reads the module through set_module_name/2, which renames wnm_* to knm_* [FACTS §1.2]
  function moduleOf(doc) {
    var module = doc.pvt_module_name;
    if (typeof module !== 'string') return null;
    return module.indexOf('wnm_') === 0 ? 'knm_' + module.substring(4) : module;
  }

  // pvt_state wins; 3.x documents carry pvt_number_state instead [FACTS §1.2, §1.4 step 7]
  function stateOf(doc) {
    if (doc.pvt_state !== undefined) return doc.pvt_state;
    return doc.pvt_number_state;
  }

  function transitionAllowed(from, to, module) {
    for (var i = 0; i < TRANSITIONS.length; i++) {
      var row = TRANSITIONS[i];
      if ((row[0] === from || row[0] === '*') && row[1] === to && (row[2] === undefined || row[2] === module)) return true;
    }
    return false;
  }

  function transitionHint(from, to) {
    if (to === 'discovery') return 'discovery is only the state of a number just found at a carrier; it is never re-entered';
    if (to === 'port_in') return 'a number is port_in only when it is created in that state; delete the document and create it as port_in';
    if (from === 'port_in') return 'a porting number leaves port_in only by completing the port (in_service) or by being released';
    if (to === 'port_out') return 'only a number in use (in_service or reserved) can be ported out';
    if (to === 'deleted') return 'to remove a number delete its document (Kazoo never stores state deleted since 4.0)';
    return 'move it through the operation Kazoo offers (buy/move, reserve, release) instead of editing pvt_state';
  }

  // Shapes that make Kazoo 4.3's loader fail, or that no Kazoo version writes [FACTS §1.2, §1.8]
  function checkPrivateFields(doc, pool) {
    var i;
    if (doc.pvt_type !== undefined && doc.pvt_type !== 'number') {
      refuse('pvt_type is ' + show(doc.pvt_type) + ': a number document has pvt_type "number" (or none, as some legacy documents)');
    }
    if (doc.pvt_state !== undefined && !has(STATES, doc.pvt_state)) {
      refuse('pvt_state ' + show(doc.pvt_state) + ' is not a Kazoo state; use one of ' + STATES.join(', '));
    }
    if (doc.pvt_state === undefined && doc.pvt_number_state !== undefined && !has(STATES, doc.pvt_number_state)) {
      refuse('pvt_number_state ' + show(doc.pvt_number_state) + ' is not a Kazoo state; write pvt_state with one of ' + STATES.join(', '));
    }
    if (doc.pvt_module_name !== undefined && (typeof doc.pvt_module_name !== 'string' || doc.pvt_module_name === '')) {
      refuse('pvt_module_name is ' + show(doc.pvt_module_name) + ': name the carrier module (e.g. "knm_local") or leave the field out');
    }
    var accountFields = ['pvt_assigned_to', 'pvt_previously_assigned_to'];
    for (i = 0; i < accountFields.length; i++) {
      var account = doc[accountFields[i]];
      // knm_managed's disconnect writes pvt_assigned_to: null into its pool document [carriers.md §4.3]
      if (account === undefined || (pool && account === null)) continue;
      if (typeof account !== 'string' || account.length !== 32) {
        refuse(accountFields[i] + ' is ' + show(account) + ': it must be a 32-character account id; leave the field out when there is none');
      }
    }
    if (doc.pvt_used_by !== undefined && (typeof doc.pvt_used_by !== 'string' || doc.pvt_used_by === '')) {
      refuse('pvt_used_by is ' + show(doc.pvt_used_by) + ': name the application (e.g. "callflow") or leave the field out');
    }
    if (doc.pvt_reserve_history !== undefined) {
      if (!isArray(doc.pvt_reserve_history)) refuse('pvt_reserve_history must be an array of account ids, newest first');
      for (i = 0; i < doc.pvt_reserve_history.length; i++) {
        if (typeof doc.pvt_reserve_history[i] !== 'string') refuse('pvt_reserve_history must hold account ids only, found ' + show(doc.pvt_reserve_history[i]));
      }
    }
    // An array is the 3.x list of feature names, null reads as no features [FACTS §1.4 step 6, §1.8]
    if (doc.pvt_features !== undefined && doc.pvt_features !== null && typeof doc.pvt_features !== 'object') {
      refuse('pvt_features is ' + show(doc.pvt_features) + ': it must be an object of feature name -> settings');
    }
    var lists = ['pvt_features_allowed', 'pvt_features_denied'];
    for (i = 0; i < lists.length; i++) {
      var list = doc[lists[i]];
      if (list === undefined) continue;
      // Kazoo would silently read anything else as [] and drop the setting on its next save
      if (!isArray(list)) refuse(lists[i] + ' must be an array of feature names, not ' + show(list));
      for (var j = 0; j < list.length; j++) {
        if (typeof list[j] !== 'string') refuse(lists[i] + ' must hold feature names only, found ' + show(list[j]));
      }
    }
    if (doc.pvt_carrier_data !== undefined && !isObject(doc.pvt_carrier_data)) {
      refuse('pvt_carrier_data must be an object (the carrier\'s order data), not ' + show(doc.pvt_carrier_data));
    }
    var ported = doc.pvt_ported_in;
    if (ported !== undefined && ported !== null && typeof ported !== 'boolean' && ported !== 'true' && ported !== 'false') {
      refuse('pvt_ported_in must be true or false, not ' + show(ported));
    }
    // Integers as Kazoo writes them; 4.0 development builds wrote the string "undefined" [FACTS §1.6]
    var stamps = ['pvt_created', 'pvt_modified'];
    for (i = 0; i < stamps.length; i++) {
      var stamp = doc[stamps[i]];
      if (stamp !== undefined && stamp !== null && typeof stamp !== 'number' && typeof stamp !== 'string') {
        refuse(stamps[i] + ' must be Gregorian seconds (an integer), not ' + show(stamp));
      }
    }
    var strings = ['pvt_db_name', 'pvt_region'];
    for (i = 0; i < strings.length; i++) {
      if (doc[strings[i]] !== undefined && typeof doc[strings[i]] !== 'string') refuse(strings[i] + ' must be a string, not ' + show(doc[strings[i]]));
    }
  }

  // Design documents are the admins' business, and a deletion is always allowed: Kazoo's hard delete, the crawler's
  // purge of discovery and deleted numbers, release of knm_local numbers [states.md §6.6, §9].
  if (newDoc._id.indexOf('_design/') === 0) return;
  if (newDoc._deleted === true) return;

  var db = plainDbName(userCtx && userCtx.db);
  if (db !== null && db.indexOf('numbers/') !== 0) return;
  var pool = db === 'numbers/managed' || db === 'numbers/inum';
  var prefixDb = db !== null && /^numbers\/\+[0-9]{4}$/.test(db);
  if (db !== null && !pool && !prefixDb) {
    refuse('database ' + db + ' is not a number database Kazoo uses (numbers/+CCNN, numbers/managed or numbers/inum); write the number into the database its first five characters name');
  }

  var id = newDoc._id;
  if (!/^\+[0-9]{4,}$/.test(id)) {
    refuse('_id "' + id + '" is not a normalized number: number documents are keyed by the E.164 form, "+" and digits (e.g. "+14158867900")');
  }
  if (prefixDb && id.substring(0, 5) !== db.substring(8)) {
    refuse('number ' + id + ' belongs in database numbers/' + id.substring(0, 5) + ' (numbers%2F' + encodeURIComponent(id.substring(0, 5)) + '), not ' + db);
  }
  if (prefixDb && typeof newDoc.pvt_db_name === 'string') {
    var named = newDoc.pvt_db_name;
    try { named = decodeURIComponent(named); } catch (e) { named = newDoc.pvt_db_name; }
    if (named !== db) {
      refuse('pvt_db_name "' + newDoc.pvt_db_name + '" does not name this database (' + db + '); Kazoo writes numbers%2F' + encodeURIComponent(id.substring(0, 5)));
    }
  }

  checkPrivateFields(newDoc, pool);

  var to = stateOf(newDoc);
  // Fresh documents: a deleted revision counts as none (the number is being created again).
  var previous = oldDoc && oldDoc._deleted !== true ? oldDoc : null;
  var from = previous ? stateOf(previous) : undefined;
  var fromKnown = has(STATES, from);

  if (pool) {
    if (to !== undefined && !has(POOL_STATES, to)) {
      refuse('a ' + db + ' pool document is ' + POOL_STATES.join(', ') + ', not ' + to);
    }
    return;
  }

  if (to === undefined) {
    // Kazoo 4.3 keeps a stateless legacy document stateless, but never removes a state [FACTS §1.2 pvt_state]
    if (fromKnown) refuse('pvt_state cannot be removed from ' + id + ' (it is ' + from + ')');
    return;
  }
  if (!fromKnown || from === to) return;
  // knm's pipeline puts a number its carrier refused to sell back into discovery, the refusal recorded in
  // pvt_carrier_data.knm_acquire_failure (src/pipeline/reconcile.ts); Kazoo never stores that half-bought state.
  if (to === 'discovery' && (from === 'reserved' || from === 'in_service') && isObject(newDoc.pvt_carrier_data) && isObject(newDoc.pvt_carrier_data.knm_acquire_failure)) return;
  if (!transitionAllowed(from, to, moduleOf(previous))) {
    refuse('no Kazoo version moves a number from ' + from + ' to ' + to + ' (' + id + '); ' + transitionHint(from, to));
  }
}
