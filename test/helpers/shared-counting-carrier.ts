/**
 * A test-only carrier for `knm start` worker processes, loaded through KNM_TEST_CARRIERS=<this file>
 * (src/pipeline/service.ts honours it only when set). It stands in for knm_bandwidth2: like every carrier that
 * buys numbers, it orders through the order journal (carriers/orders.ts), and each order it sends is one line
 * appended to KNM_TEST_CARRIER_LOG, so a test counts the orders of all workers together.
 * KNM_TEST_CARRIER_DELAY_MS makes each order take that long.
 */
import fs from 'node:fs';
import type { Carrier } from '../../src/carriers/carrier';
import { acquireOnce, forgetOrder } from '../../src/carriers/orders';

const MODULE = 'knm_bandwidth2';
const log = process.env.KNM_TEST_CARRIER_LOG ?? '';
const delayMs = Number(process.env.KNM_TEST_CARRIER_DELAY_MS ?? '0');

const carrier: Carrier = {
  module: MODULE,
  isLocal: false,
  isBillable: true,
  shouldLookupCnam: false,
  maximalPrefixLength: 10,
  acquireNumber(record, context) {
    return acquireOnce(MODULE, record, context, {
      async order() {
        // One line per order actually sent: O_APPEND keeps lines of several processes whole.
        fs.appendFileSync(log, `${JSON.stringify({ operation: 'acquire', number: record.number, worker: process.env.KNM_WORKER_ID ?? process.pid })}\n`);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        return { carrierData: { order_id: `order-${record.number}` } };
      },
    });
  },
  disconnectNumber(record, context) {
    return forgetOrder(MODULE, record, context);
  },
};

export function carrierFor(module: string): Carrier | undefined {
  return module === MODULE ? carrier : undefined;
}
