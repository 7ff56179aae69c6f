/**
 * Something wrong in a config document that knm worked around: the key (dotted path, e.g.
 * `classifiers.did_us.regex`), the offending regex when there is one, and what was wrong and done.
 * Problems never stop a config from loading; callers print or log them.
 */
export interface ConfigProblem {
  key: string;
  pattern?: string;
  reason: string;
}

/** One line for an operator. */
export function describeProblem(problem: ConfigProblem): string {
  const pattern = problem.pattern !== undefined ? ` ${JSON.stringify(problem.pattern)}` : '';
  return `${problem.key}${pattern}: ${problem.reason}`;
}
