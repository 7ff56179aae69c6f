/**
 * The `reconcile_services` view Kazoo adds to every account database's `_design/numbers`
 * (kazoo_numbers_maintenance:update_number_services_view/1, databases-and-views.md §5): for each number document not
 * deleted, key `_id`, value `{classifications: {<class>: {<pvt_module_name>: 1}}, features: {<feature>: 1}}`, where the
 * class is the first classifier whose regex matches the number (an `else if` chain generated from the current
 * classifiers, generate_js_classifiers/1); the reduce sums both maps. The text is Kazoo's, byte for byte, so that knm
 * and a Kazoo node refreshing the same account agree and neither rewrites the other's view.
 */
import type { Classifiers } from '../config/number-manager';
import type { DesignDoc, ViewSource } from './design-docs';

export const NUMBER_SERVICES_VIEW = 'reconcile_services';
export const ACCOUNT_NUMBERS_DESIGN_DOC = '_design/numbers';

/**
 * knm_converters:available_classifiers/0 reduced to what the chain needs: name and regex in stored key order; a
 * legacy string entry is its own regex, and a classifier without a regex is left out (`is_binary(Regex)`).
 */
function classifierRegexes(classifiers: Classifiers): [string, string][] {
  return Object.entries(classifiers).flatMap(([name, classifier]): [string, string][] => {
    const regex = typeof classifier === 'string' ? classifier : classifier.regex;
    return typeof regex === 'string' ? [[name, regex]] : [];
  });
}

/**
 * generate_js_classifiers/1 with the `resC[Class] = resM` block. The regex is written as Erlang's `~p` writes a binary
 * (a double-quoted string, `\` and `"` escaped), which is JSON's string form for the ASCII Kazoo's regexes use.
 */
function classifierChain(classifiers: Classifiers): string {
  const branches = classifierRegexes(classifiers).map(([name, regex]) => `  else if (e164.match(${JSON.stringify(regex)}))    resC['${name}'] = resM;`);
  return ['  var e164 = doc._id;', '  if (false) return;', ...branches].join('');
}

/** number_services_map/1. */
export function numberServicesMap(classifiers: Classifiers): string {
  return [
    'function(doc) {',
    "  if (doc.pvt_type != 'number' || doc.pvt_deleted) return;",
    '  var resM = {};',
    '  resM[doc.pvt_module_name] = 1;',
    '  var resC = {};',
    classifierChain(classifiers),
    '  var resF = {};',
    '  var used = doc.pvt_features || {};',
    '  for (var feature in used)',
    '    if (used.hasOwnProperty(feature))',
    '      resF[feature] = 1;',
    "  emit(doc._id, {'classifications':resC, 'features':resF});",
    '}',
  ].join('');
}

/** number_services_red/0. */
export const NUMBER_SERVICES_REDUCE = [
  'function(Keys, Values, _Rereduce) {',
  '  var incr = function (o, k, v) {',
  '    o[k] = v + ((o[k] === undefined) ? 0 : o[k]);',
  '    return o;',
  '  };',
  '  var acc = function (Oout, Oin) {',
  '    for (var Ofield in Oin)',
  '      if (Oin.hasOwnProperty(Ofield))',
  '        Oout = incr(Oout, Ofield, Oin[Ofield]);',
  '    return Oout;',
  '  };',
  '  var resF = {};',
  '  var resC = {};',
  '  for (var i in Values) {',
  '    var Value = Values[i];',
  "    resF = acc(resF, Value['features'] || {});",
  "    var Classifications = Value['classifications'] || {};",
  '    for (var klass in Classifications) {',
  '      if (Classifications.hasOwnProperty(klass))',
  '        resC[klass] = acc(resC[klass] || {}, Classifications[klass]);',
  '    }',
  '  }',
  "  return {'classifications':resC, 'features':resF};",
  '}',
].join('');

export function numberServicesView(classifiers: Classifiers): ViewSource {
  return { map: numberServicesMap(classifiers), reduce: NUMBER_SERVICES_REDUCE };
}

/** The account's `_design/numbers` with `reconcile_services` set (the other views as they are). */
export function withNumberServicesView(doc: DesignDoc, classifiers: Classifiers): DesignDoc {
  return { ...doc, views: { ...(doc.views ?? {}), [NUMBER_SERVICES_VIEW]: numberServicesView(classifiers) } };
}

/** The design documents an account database holds: the library's, its `_design/numbers` with `reconcile_services`. */
export function accountDesignDocs(wanted: readonly DesignDoc[], classifiers: Classifiers): DesignDoc[] {
  return wanted.map((doc) => (doc._id === ACCOUNT_NUMBERS_DESIGN_DOC ? withNumberServicesView(doc, classifiers) : doc));
}
