/** Row states of `deliveries`. `failed` means "failed so far, another attempt is scheduled". */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'exhausted', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The statuses "retry now" may take back (apps/delivery/README.md "Retry now"). */
export const RETRYABLE_STATUSES: readonly DeliveryStatus[] = ['pending', 'failed', 'exhausted', 'cancelled'];
