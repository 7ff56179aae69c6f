function (doc) {
  // Number documents per state and carrier module; query with group_level=1 for per-state counts.
  // 3.x documents carry pvt_number_state instead of pvt_state [FACTS §1.2].
  var state = doc.pvt_state !== undefined ? doc.pvt_state : doc.pvt_number_state;
  if (typeof state !== 'string') return;
  emit([state, typeof doc.pvt_module_name === 'string' ? doc.pvt_module_name : null], null);
}
