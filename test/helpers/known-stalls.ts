/**
 * End-to-end tests that stall now and then when they run after other tests in the same process (an open defect of
 * the changes pipeline, issue 6: a purge round or a feed of a fresh embedded server stops making progress after an
 * earlier server in the process closed). They pass when run on their own. In `npm test` they are pending until the
 * defect is fixed; `KNM_RUN_KNOWN_STALLS=1` runs them.
 */
export const itKnownStall: Mocha.TestFunction | Mocha.PendingTestFunction =
  process.env.KNM_RUN_KNOWN_STALLS === '1' ? it : it.skip;
