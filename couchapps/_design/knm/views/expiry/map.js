function (doc) {
  // Numbers the purge looks at, keyed [state, pvt_modified], value pvt_created: 4.x purges discovery after
  // tasks.discovery_expiry_d and ages aging numbers after aging_expiry_d, both counted from pvt_modified; 3.x
  // counted from pvt_created [FACTS §4.8]. Persisted deleted numbers are purged at once.
  var state = doc.pvt_state !== undefined ? doc.pvt_state : doc.pvt_number_state;
  if (state !== 'discovery' && state !== 'aging' && state !== 'deleted') return;
  var modified = typeof doc.pvt_modified === 'number' ? doc.pvt_modified : parseInt(doc.pvt_modified, 10);
  // Kazoo reads a missing or non-integer pvt_modified as "now" [FACTS §1.4 step 4]: such a number never expires.
  if (isNaN(modified)) return;
  var created = typeof doc.pvt_created === 'number' ? doc.pvt_created : parseInt(doc.pvt_created, 10);
  emit([state, modified], isNaN(created) ? null : created);
}
