/**
 * The lifecycle's errors with Kazoo's codes and texts (4.3 src/knm_errors.erl, states.md §10).
 */
import { KnmError } from '../errors';

/** `from <A> to <B>`, `(nothing)` when the number has no state (knm_errors:invalid_state_transition/3). */
export function invalidStateTransition(from: string | undefined, to: string | undefined): KnmError {
  const cause = to === undefined ? undefined : `from ${from ?? '(nothing)'} to ${to}`;
  return new KnmError('invalid_state_transition', 400, 'invalid state transition', {
    cause,
    hint: 'see the state table in states.md §5 for the moves Kazoo allows',
  });
}

export function unauthorized(cause?: string): KnmError {
  // Kazoo's `unauthorized` reason is reported as error "forbidden" (knm_errors:to_json/3).
  return new KnmError('forbidden', 403, 'requestor is unauthorized to perform operation', {
    cause,
    hint: 'act as the owner, one of its ancestors, a super-duper admin account or system',
  });
}

export function noChangeRequired(): KnmError {
  return new KnmError('no_change_required', 400, 'no change required', {
    hint: 'the number is already in that state for that account',
  });
}
