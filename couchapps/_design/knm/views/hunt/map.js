function (doc) {
  // Numbers that take part in a number hunt (4.3 knm_number:lookup_account: port_in, in_service, port_out,
  // reserved [FACTS §8.3, §11 #13]). An unassigned one is emitted too: the hunt answers it with "unassigned".
  var state = doc.pvt_state !== undefined ? doc.pvt_state : doc.pvt_number_state;
  if (state !== 'in_service' && state !== 'reserved' && state !== 'port_in' && state !== 'port_out') return;
  emit(doc._id, {
    assigned_to: typeof doc.pvt_assigned_to === 'string' ? doc.pvt_assigned_to : null,
    state: state,
    module_name: typeof doc.pvt_module_name === 'string' ? doc.pvt_module_name : null,
    used_by: typeof doc.pvt_used_by === 'string' ? doc.pvt_used_by : null
  });
}
