/**
 * The first carrier-authenticated inbound call to a number still porting in completes the port (states.md §7,
 * FACTS §4.7): Kazoo's kz_directory_resource:maybe_transition_port_in/1 runs after lookup_account answered
 * `pending_port`. With no active port request for the number it is knm_port_request:compatibility_transition/2:
 * a raw update as system (set_state in_service, set_ported_in true, portin_reason), not a state-machine move.
 * lookup_account itself never transitions anything.
 */
import type { NumberOutcome, NumberService } from '../lifecycle/service';
import { SYSTEM } from '../lifecycle/accounts';
import type { HuntAnswer } from './lookup';

export type PortInTransition =
  | { readonly kind: 'not_porting' }
  /** An active port request lists the number: Kazoo completes the request (transition_to_complete), which knm leaves to the port request flow. */
  | { readonly kind: 'port_request'; readonly accountId: string }
  | { readonly kind: 'updated'; readonly outcome: NumberOutcome };

export const FIRST_CALL_REASON = 'first inbound call from the carrier completed the port';

export async function transitionPortInOnFirstCall(
  service: NumberService,
  answer: HuntAnswer,
  hasActivePortRequest: (number: string) => Promise<boolean>,
): Promise<PortInTransition> {
  if (!answer.ok || !answer.props.pending_port) return { kind: 'not_porting' };
  const { number, account_id: accountId } = answer.props;
  if (await hasActivePortRequest(number)) return { kind: 'port_request', accountId };
  const [outcome] = await service.update([number], { authBy: SYSTEM }, { state: 'in_service', portedIn: true, mergePublic: { portin_reason: FIRST_CALL_REASON } });
  return { kind: 'updated', outcome };
}

/** The transition as the hunt's JSON answers carry it (`port_in_transition`), for the CLI and the HTTP endpoint. */
export function portInTransitionJson(transition: PortInTransition): unknown {
  if (transition.kind === 'updated') return transition.outcome.ok ? { kind: 'updated', result: transition.outcome.result } : { kind: 'failed', error: transition.outcome.error };
  return transition;
}
